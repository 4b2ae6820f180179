"""Every JSON response the API documents has a typed schema (a response model: named fields, or a list or map of
such records, or a scalar), never a bare object: the OpenAPI document says what each endpoint returns."""

from __future__ import annotations

from typing import Any

from manufacturing.settings import Settings
from web.api.app import create_app


def _untyped(schema: dict[str, Any], components: dict[str, Any]) -> str | None:
    """Why ``schema`` does not type what it describes, or None when it does."""
    if "$ref" in schema:
        return _untyped(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    for union in ("anyOf", "oneOf", "allOf"):
        if union in schema:
            branches = [b for b in schema[union] if b.get("type") != "null"]
            return next((why for b in branches if (why := _untyped(b, components))), None)
    kind = schema.get("type")
    if kind == "array":
        return _untyped(schema.get("items", {}), components)
    if kind in ("string", "integer", "number", "boolean"):
        return None
    if schema.get("properties"):
        return None
    values = schema.get("additionalProperties")
    if kind == "object" and isinstance(values, dict) and values:
        return _untyped(values, components)
    return f"an untyped {kind or 'value'}: {schema}"


def test_every_json_response_has_a_typed_schema(settings: Settings) -> None:
    app = create_app(settings)
    document = app.openapi()
    components = document.get("components", {}).get("schemas", {})
    checked, untyped = 0, []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                json_body = response.get("content", {}).get("application/json")
                if not status.startswith("2") or json_body is None:
                    continue
                checked += 1
                why = _untyped(json_body.get("schema", {}), components)
                if why is not None:
                    untyped.append(f"{method.upper()} {path} {status}: {why}")
    app.state.resources.engine.dispose()
    assert checked >= 50
    assert not untyped, "\n".join(untyped)
