"""Encoders of an export: pages of record documents in, chunks of bytes out, one chunk per page.

Nothing holds more than one page: CSV writes each page into a small buffer, Parquet writes each page as a row group
into a sink that is emptied after every write.
"""

import csv
import io
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import structlog

from services.api.export.columns import Column, Unfit, cell, columns_of, csv_cell, neutralised
from services.api.records.models import RecordPublic

log = structlog.get_logger()

Pages = AsyncIterator[list[dict[str, Any]]]  # record documents of sdg-records, in index order
ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
               "json": pa.string()}


@dataclass(frozen=True)
class ExportFormat:
    media_type: str
    extension: str
    encode: Callable[[dict[str, Any], Pages, bool], AsyncIterator[bytes]]


async def jsonl(schema: dict[str, Any], pages: Pages, envelope: bool) -> AsyncIterator[bytes]:
    """One JSON object per line: the record itself, or with `envelope` its id, index, usage and time around it."""
    async for page in pages:
        if envelope:
            lines = [RecordPublic.model_validate(doc).model_dump_json() for doc in page]
        else:
            lines = [json.dumps(doc["record"], ensure_ascii=False, separators=(",", ":")) for doc in page]
        yield "".join(line + "\n" for line in lines).encode()


async def csv_rows(schema: dict[str, Any], pages: Pages, envelope: bool) -> AsyncIterator[bytes]:
    """A header row of the schema's top-level properties, then one row per record (`envelope` adds id columns).
    Property names and string values a spreadsheet would run as formulas are neutralised (export_columns)."""
    columns = columns_of(schema)
    declared = {c.name for c in columns if c.declared}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(envelope_names(envelope) + [neutralised(c.name) for c in columns])
    async for page in pages:
        for doc in page:
            writer.writerow(envelope_values(doc, envelope) + [csv_cell(c, doc["record"], declared) for c in columns])
        yield drain_text(buffer).encode()
    if buffer.tell():
        yield drain_text(buffer).encode()


def drain_text(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def envelope_names(envelope: bool) -> list[str]:
    return ["record_id", "index"] if envelope else []


def envelope_values(doc: dict[str, Any], envelope: bool) -> list[Any]:
    return [doc.get("record_id"), doc.get("index")] if envelope else []


class DrainableSink(io.RawIOBase):
    """A write-only file that keeps only what was written since the last `drain()`."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def drain(self) -> bytes:
        data, self._chunks = b"".join(self._chunks), []
        return data


def arrow_schema(columns: list[Column], envelope: bool, schema: dict[str, Any]) -> pa.Schema:
    fields = [pa.field("record_id", pa.string()), pa.field("index", pa.int64())] if envelope else []
    for column in columns:
        metadata = {"sdg.encoding": "json"} if column.kind == "json" else None
        fields.append(pa.field(column.name, ARROW_TYPES[column.kind], nullable=True, metadata=metadata))
    return pa.schema(fields, metadata={"sdg.json_schema": json.dumps(schema)})


def arrow_batch(target: pa.Schema, columns: list[Column], page: list[dict[str, Any]], envelope: bool) -> pa.RecordBatch:
    declared = {c.name for c in columns if c.declared}
    arrays = [[doc.get("record_id") for doc in page], [doc.get("index") for doc in page]] if envelope else []
    for column in columns:
        arrays.append([fitted(column, doc, declared) for doc in page])
    return pa.RecordBatch.from_arrays([pa.array(a, type=f.type) for a, f in zip(arrays, target)], schema=target)


def fitted(column: Column, doc: dict[str, Any], declared: set[str]) -> Any:
    try:
        return cell(column, doc["record"], declared)
    except Unfit as exc:
        log.warning("export value does not fit its column; written as null", record_id=doc.get("record_id"),
                    column=column.name, reason=str(exc))
        return None


async def parquet(schema: dict[str, Any], pages: Pages, envelope: bool) -> AsyncIterator[bytes]:
    """A Parquet file with one row group per page; columns typed from the schema (see export_columns)."""
    columns = columns_of(schema)
    target = arrow_schema(columns, envelope, schema)
    sink = DrainableSink()
    writer = pq.ParquetWriter(sink, target, compression="zstd")
    try:
        async for page in pages:
            writer.write_batch(arrow_batch(target, columns, page, envelope), row_group_size=max(len(page), 1))
            yield sink.drain()
    finally:
        writer.close()
    yield sink.drain()


FORMATS = {
    "jsonl": ExportFormat("application/x-ndjson", "jsonl", jsonl),
    "csv": ExportFormat("text/csv; charset=utf-8", "csv", csv_rows),
    "parquet": ExportFormat("application/vnd.apache.parquet", "parquet", parquet),
}
