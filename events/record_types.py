"""Events of the record-type registry: named JSON Schemas, each change a new version, never a mutation.

A record type is an aggregate of its own: `job_id` (the envelope's aggregate id) is `record-type:<tenant>:<name>`
and the version is the event's `sequence`, so version N of a type is the N-th event of that aggregate.
"""

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from events.envelope import Envelope

NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,62}$"
SHARED_TENANT = "shared"  # the tenant of the ready types shipped in schemas/records/, visible to every tenant


def record_type_aggregate(tenant: str, name: str) -> str:
    return f"record-type:{tenant}:{name}"


class RecordTypeRegistered(Envelope):
    """A version of a named record type was registered; earlier versions stay as they were."""

    routing_key: ClassVar[str] = "record_type.registered"
    type: Literal["RecordTypeRegistered"] = "RecordTypeRegistered"
    name: str = Field(pattern=NAME_PATTERN)
    record_type_version: int = Field(ge=1, description="The type's version: equal to the event's sequence.")
    schema_: dict[str, Any] = Field(alias="schema", serialization_alias="schema")
    description: str = ""

    @model_validator(mode="after")
    def _version_is_sequence(self):
        if self.sequence != self.record_type_version:
            raise ValueError("a record type's version is its event's sequence: they must be equal")
        return self


RECORD_TYPE_EVENT_TYPES: tuple[type[Envelope], ...] = (RecordTypeRegistered,)
