"""The error half of the OpenAPI contract: every operation documents the uniform error body.

Litestar documents only the 2xx answer and its own ``ValidationException`` 400 shape
(``status_code``/``detail``), which is not what api/errors.py sends. Clients (and
schemathesis, tests/fuzz) read the schema as the contract, so each operation gets ``400``,
``4XX`` and ``503`` answers with the body every error really carries.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Schema

ERROR_BODY = Schema(
    type=OpenAPIType.OBJECT,
    required=["error", "message", "request_id"],
    properties={
        "error": Schema(type=OpenAPIType.STRING, description="stable machine code, e.g. not_found"),
        "message": Schema(type=OpenAPIType.STRING),
        "request_id": Schema(type=OpenAPIType.STRING),
        "details": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT)),
    },
    description="The uniform error body (proxy.md §2, console.md §1.2)",
)
ANSWERS = {
    "400": "malformed request (invalid JSON, bad id, validation on console routes)",
    "4XX": "refused: auth, scope, missing, conflict, validation, size, media type",
    "503": "unavailable for now (projection lag, store down): retry after Retry-After",
}
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def document_errors(app: Litestar) -> None:
    """Build the app's OpenAPI document once and add the error answers to every operation
    (Litestar caches the built document, so the served schema is this one)."""
    if app.openapi_config is None:
        return
    openapi = app.openapi_schema
    for path_item in (openapi.paths or {}).values():
        for method in METHODS:
            operation = getattr(path_item, method, None)
            if operation is None:
                continue
            responses = dict(operation.responses or {})
            for status, description in ANSWERS.items():
                responses[status] = OpenAPIResponse(
                    description=description,
                    content={"application/json": OpenAPIMediaType(schema=ERROR_BODY)})
            operation.responses = responses
