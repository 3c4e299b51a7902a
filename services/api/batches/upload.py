"""Reading an uploaded batch file, bounded: a multipart field `file`, or the raw body as JSONL."""

from fastapi import HTTPException, Request, UploadFile

RAW_TYPES = ("application/jsonl", "application/x-ndjson", "application/x-jsonlines", "application/json-lines")
MULTIPART_SLACK = 64 * 1024  # the multipart envelope around the file: boundaries, part headers


def too_large(limit: int) -> HTTPException:
    return HTTPException(status_code=413, detail=f"the file is larger than {limit // (1024 * 1024)} MB; "
                                                 f"split it into several batches")


def declared_length(request: Request) -> int | None:
    try:
        return int(request.headers["content-length"])
    except (KeyError, ValueError):
        return None


async def raw_body(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def upload_bytes(request: Request, file: UploadFile | None, limit: int) -> bytes:
    """The file's bytes, or a 413 past `limit` and a 415 for a body that is neither kind."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if (length := declared_length(request)) is not None and length > limit + MULTIPART_SLACK:
        raise too_large(limit)
    if media_type == "multipart/form-data":
        if file is None:
            raise HTTPException(status_code=422, detail="send the JSONL file in the multipart field `file`")
        content = await file.read(limit + 1)
        if len(content) > limit:
            raise too_large(limit)
        return content
    if media_type in RAW_TYPES:
        return await raw_body(request, limit)
    raise HTTPException(status_code=415, detail="send the batch as a multipart field `file`, or as the raw body "
                                                "with Content-Type application/jsonl (or application/x-ndjson)")
