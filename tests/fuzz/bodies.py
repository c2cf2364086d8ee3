"""Request bodies for the schema fuzzer.

Controllers decode their JSON bodies themselves (api/body.py ``decode_body(request, Struct)``),
so Litestar's schema documents no request body and schemathesis would send none. This finds,
for each route handler, the msgspec type it decodes (in its own source, or in the ``self._x``
helpers it calls) and writes its JSON schema into the raw OpenAPI document as the
``requestBody``; a handler that decodes something else gets "any JSON object".
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import msgspec
from litestar import Litestar
from litestar.routes import HTTPRoute

DECODE = re.compile(r"decode_body\(\s*request\s*,\s*([A-Za-z_][\w.]*)")
HELPER = re.compile(r"self\.(_\w+)\(")
ANY_OBJECT: dict[str, Any] = {"type": "object"}


def _function(handler: Any) -> Any:
    fn = handler.fn
    return getattr(fn, "func", fn)


def _decoded_type(fn: Any, owner: type | None, depth: int = 0) -> Any:
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        return None
    match = DECODE.search(source)
    if match:
        value: Any = fn.__globals__
        for part in match.group(1).split("."):
            value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
        return value
    if owner is None or depth > 1:
        return None
    for name in HELPER.findall(source):
        helper = getattr(owner, name, None)
        if helper is not None and (found := _decoded_type(helper, owner, depth + 1)) is not None:
            return found
    return None


def body_schemas(app: Litestar) -> tuple[dict[tuple[str, str], Any], dict[str, Any]]:
    """{(METHOD, path): JSON schema of the body} and the component schemas they refer to."""
    types: dict[tuple[str, str], Any] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            methods = {m for m in handler.http_methods if m in ("POST", "PUT", "PATCH")}
            if not methods:
                continue
            fn = _function(handler)
            owner = getattr(handler, "owner", None)
            found = _decoded_type(fn, owner if isinstance(owner, type) else None)
            for method in methods:
                types[(method, route.path_format)] = found
    structs = sorted({t for t in types.values() if isinstance(t, type) and issubclass(t, msgspec.Struct)},
                     key=lambda t: t.__qualname__)
    schemas, components = msgspec.json.schema_components(
        structs, ref_template="#/components/schemas/Body{name}")
    by_type = dict(zip(structs, schemas, strict=True))
    out = {key: by_type.get(t, ANY_OBJECT) for key, t in types.items()}
    return out, {f"Body{name}": schema for name, schema in components.items()}


def with_bodies(raw: dict[str, Any], app: Litestar) -> dict[str, Any]:
    """``raw`` (the served schema) with a JSON ``requestBody`` on every POST/PUT/PATCH."""
    bodies, components = body_schemas(app)
    raw.setdefault("components", {}).setdefault("schemas", {}).update(components)
    for path, item in raw["paths"].items():
        for method, operation in item.items():
            schema = bodies.get((method.upper(), path))
            if method.upper() in ("POST", "PUT", "PATCH") and "requestBody" not in operation:
                operation["requestBody"] = {"required": False, "content": {
                    "application/json": {"schema": schema or ANY_OBJECT}}}
    return raw
