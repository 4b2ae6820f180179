"""Building blocks every schema module shares."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    SerializerFunctionWrapHandler,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    model_serializer,
)
from pydantic_core import PydanticCustomError, ValidationError, core_schema

from geometry.exchange.bounded_json import value_depth

# The domain writes times with ``datetime.isoformat()`` ("…+00:00"); a pydantic datetime would write "…Z". They
# stay the domain's strings, documented as date-times.
IsoTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
IsoDate = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]


@dataclass(frozen=True)
class Within:
    """A finite number in a range, as ``Annotated[float, Within(0, 1000, "mm")]``: NaN, infinities and numbers
    past the range are refused with one message that names the range in words ("a finite number more than 0
    and less than 1000 mm"). The bounds are excluded unless ``*_included``; OpenAPI documents them."""

    low: float
    high: float
    unit: str = ""
    low_included: bool = False
    high_included: bool = False

    @property
    def words(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        low = f"{'at least' if self.low_included else 'more than'} {_plain(self.low)}"
        high = f"{'at most' if self.high_included else 'less than'} {_plain(self.high)}"
        return f"a finite number {low} and {high}{unit}"

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        bounds: dict[str, float] = {
            "ge" if self.low_included else "gt": self.low,
            "le" if self.high_included else "lt": self.high,
        }
        number = core_schema.float_schema(allow_inf_nan=False, **bounds)  # type: ignore[arg-type]
        return core_schema.no_info_wrap_validator_function(self._checked, number)

    def _checked(self, value: Any, handler: ValidatorFunctionWrapHandler) -> float:
        try:
            number: float = handler(value)
        except ValidationError:
            raise PydanticCustomError("number_out_of_range", "must be {range}", {"range": self.words}) from None
        return number


@dataclass(frozen=True)
class JsonBounds:
    """A free-form JSON value (``Annotated[dict[str, Any], JsonBounds(8, 64 * 1024)]``) nested at most
    ``max_depth`` levels and at most ``max_bytes`` long once written: what the domain then reads field by field
    stays small."""

    max_depth: int
    max_bytes: int

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._checked, handler(source))

    def _checked(self, value: Any) -> Any:
        depth = value_depth(value)
        if depth > self.max_depth:
            raise PydanticCustomError("json_too_deep", "is nested {depth} levels deep; at most {max_depth} are read",
                                      {"depth": depth, "max_depth": self.max_depth})  # fmt: skip
        size = len(json.dumps(value, ensure_ascii=False).encode())
        if size > self.max_bytes:
            raise PydanticCustomError("json_too_large", "is {size} bytes as JSON; at most {max_bytes} are read",
                                      {"size": size, "max_bytes": self.max_bytes})  # fmt: skip
        return value


def _plain(number: float) -> str:
    """1000000000 rather than 1e+09: the bounds are read by people."""
    return str(int(number)) if float(number).is_integer() and abs(number) < 1e15 else f"{number:g}"


# A length on a foot or a last, mm: no foot is a metre long.
FootMillimetres = Annotated[float, Within(0, 1000, "mm", high_included=True)]

# Free-form objects (design options, a last's parameters, fit feedback answers): small, shallow records that the
# domain validates key by key.
FreeJsonObject = Annotated[dict[str, Any], JsonBounds(max_depth=8, max_bytes=64 * 1024)]


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
