"""``variablesSchema``: a JSON-Schema object subset, and checking a send's ``vars`` with it.

Supported: ``type`` (string, number, integer, boolean, object, array, null, or a list of
them), ``properties``, ``required``, ``additionalProperties`` (bool), ``items``, ``enum``.
"""

from __future__ import annotations

from typing import Any

TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}
KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "description",
        "title",
        "default",
        "format",
        "examples",
    }
)


def schema_problem(schema: Any, path: str = "$") -> str | None:
    """Why this schema is not one we can check, or None."""
    if not isinstance(schema, dict):
        return f"{path}: a schema is an object"
    unknown = set(schema) - KEYWORDS
    if unknown:
        return f"{path}: unsupported keyword {sorted(unknown)[0]}"
    types = schema.get("type", [])
    for t in types if isinstance(types, list) else [types]:
        if t not in TYPES:
            return f"{path}.type: unknown type {t!r}"
    for name, sub in (schema.get("properties") or {}).items():
        problem = schema_problem(sub, f"{path}.properties.{name}")
        if problem:
            return problem
    if "items" in schema:
        return schema_problem(schema["items"], f"{path}.items")
    return None


def _type_ok(value: Any, types: Any) -> bool:
    names = types if isinstance(types, list) else [types]
    for name in names:
        if isinstance(value, bool) and name in ("number", "integer"):
            continue
        if isinstance(value, TYPES[name]):
            return True
    return False


def vars_problem(value: Any, schema: dict[str, Any] | None, path: str = "$.vars") -> str | None:
    """The first way ``value`` breaks ``schema`` (a message with its JSON path), or None."""
    if not schema:
        return None
    if "type" in schema and not _type_ok(value, schema["type"]):
        return f"{path}: expected {schema['type']}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{path}: not one of {schema['enum']}"
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for name in schema.get("required") or []:
            if name not in value:
                return f"{path}.{name}: required"
        if schema.get("additionalProperties") is False:
            extra = sorted(set(value) - set(props))
            if extra:
                return f"{path}.{extra[0]}: not allowed"
        for name, sub in props.items():
            if name in value:
                problem = vars_problem(value[name], sub, f"{path}.{name}")
                if problem:
                    return problem
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for n, item in enumerate(value):
            problem = vars_problem(item, schema["items"], f"{path}[{n}]")
            if problem:
                return problem
    return None
