"""The admin web console at ``/admin``: static files, no server-side rendering.

The page is a shell; everything it shows comes from the same JSON API a script would use,
with the token the person typed (kept in the tab's sessionStorage). The assets live in
``api/admin_ui/static`` and need no build step.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Response, get
from litestar.datastructures import CacheControlHeader
from litestar.enums import MediaType
from litestar.static_files import create_static_files_router

STATIC = Path(__file__).resolve().parents[1] / "admin_ui" / "static"
# Scripts only from ledgermail itself: a value echoed into the page can never run. Inline
# styles and remote images are allowed for the template preview (a sandboxed srcdoc frame,
# which inherits this policy), since email HTML is styled inline and links its images.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; img-src 'self' data: https:; "
                               "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@get(["/admin", "/admin/"], include_in_schema=False, media_type=MediaType.HTML)
async def admin_console() -> Response[bytes]:
    return Response((STATIC / "index.html").read_bytes(), media_type=MediaType.HTML, headers=SECURITY_HEADERS)


ADMIN_UI_HANDLERS = [
    admin_console,
    create_static_files_router(path="/admin/ui", directories=[STATIC], include_in_schema=False,
                               name="admin-ui", cache_control=CacheControlHeader(no_cache=True)),
]
