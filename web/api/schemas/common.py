"""Building blocks every schema module shares."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, WithJsonSchema, model_serializer

# The domain writes times with ``datetime.isoformat()`` ("…+00:00"); a pydantic datetime would write "…Z". They
# stay the domain's strings, documented as date-times.
IsoTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
IsoDate = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]


class Record(BaseModel):
    """A response record read from a domain object's attributes (or from its plain JSON)."""

    model_config = ConfigDict(from_attributes=True)


class SometimesKeyed(Record):
    """A record some of whose keys the domain writes only in some cases, leaving them out otherwise (rather than
    writing null): the fields in ``keyed_when_given`` appear in the JSON only when they were given."""

    keyed_when_given: ClassVar[frozenset[str]] = frozenset()

    # No return annotation: with one, pydantic would document the record by it (an untyped object), not by its
    # fields.
    @model_serializer(mode="wrap")
    def _leave_out_unless_given(self, handler: SerializerFunctionWrapHandler):
        data = handler(self)
        for name in self.keyed_when_given - self.model_fields_set:
            data.pop(name, None)
        return data
