"""Response model of GET /v1/jobs/{id}/profile."""

from pydantic import BaseModel, Field


class TopValue(BaseModel):
    value: str = Field(description="The value as text (numbers and booleans too: `42`, `true`).")
    count: int = Field(description="Records that hold it.")
    share: float = Field(description="count / the job's records.")


class HistogramBucket(BaseModel):
    start: float = Field(description="Lowest value (or length) of the bucket, inclusive.")
    end: float = Field(description="Highest, exclusive, except in the last bucket, which holds the maximum.")
    count: int


class NumericProfile(BaseModel):
    count: int = Field(description="Numeric values (an array's items each count).")
    min: float
    max: float
    mean: float
    histogram: list[HistogramBucket] = Field(description="10 equal-width buckets from min to max (one when "
                                                         "min = max).")


class LengthProfile(BaseModel):
    """Lengths of the values as text, in Unicode code points."""

    min: int
    max: int = Field(description="At most 4096: longer values count as 4096 long (see `capped`).")
    mean: float
    p50: float
    p90: float
    exact: bool = Field(description="Whether mean, p50 and p90 are exact; otherwise each is within "
                                    "(max - min) / 32 of it. min and max are always exact.")
    capped: int = Field(0, description="Records with a value of 4096 characters or more.")
    histogram: list[HistogramBucket] = Field(description="At most 10 buckets from min to max; `end` is "
                                                         "inclusive here.")


class FieldProfile(BaseModel):
    name: str
    schema_types: list[str] = Field(description="The JSON types the job's schema allows (empty: any).")
    types: dict[str, int] = Field(description="Records by the type of value seen: string, integer or number, "
                                              "boolean, other. Of an array, its items' types.")
    present: int | None = Field(description="Records with a value. null for object fields: Elasticsearch reads "
                                            "their leaves, not the object.")
    missing: int | None = Field(description="Records whose value is JSON null, absent, or an empty array.")
    missing_share: float | None
    values: int | None = Field(description="Values read (an array's items each count).")
    distinct: int | None = Field(description="Distinct values (Elasticsearch's cardinality: exact up to 40,000).")
    distinct_ratio: float | None = Field(description="distinct / values; 1.0 when every value is different.")
    top: list[TopValue] = Field(default_factory=list, description="The most frequent values, most frequent first.")
    top_share: float | None = Field(description="The share of records holding the most frequent value.")
    numeric: NumericProfile | None = None
    length: LengthProfile | None = None


class DatasetProfile(BaseModel):
    job_id: str
    status: str = Field(description="The job's status: an unfinished job's profile covers its records so far.")
    records: int = Field(description="Records profiled (the job's searchable records).")
    fields: list[FieldProfile] = Field(description="Top-level fields of the job's schema, in schema order.")
    skipped_fields: list[str] = Field(default_factory=list, description="Fields not profiled: a name that is "
                                      "not a plain path (`*`, leading/trailing or double dots), or past the "
                                      "first 100.")
