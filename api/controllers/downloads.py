"""``GET /downloads/{file_id}/{filename}``: large attachments offered as links (spec proxy.md §4.5,
§9.4). Public: the signature is the credential. Checked in order: 403 bad signature, 410
expired (on the service clock), 404 gone."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery

from adapters.attachments_store import FileDownloads, signature_ok
from api.calls import container_of
from api.errors import ApiError

_OCTET_STREAM = "application/octet-stream"


class DownloadsController(Controller):
    path = "/downloads"
    tags = ["downloads"]

    @get("/{file_id:str}/{filename:str}", operation_id="GetDownload",
         summary="Download an offloaded attachment", sync_to_thread=True, media_type=_OCTET_STREAM)
    def download(self, request: Request[Any, Any, Any], file_id: FromPath[str], filename: FromPath[str],
                 expires: FromQuery[str] = "", sig: FromQuery[str] = "") -> Response[bytes]:
        container = container_of(request)
        key = container.secret_box.download_key
        downloads = FileDownloads(Path(container.settings.data_dir) / "files", key)
        if not signature_ok(downloads.key, file_id, filename, expires, sig):
            raise ApiError(403, "forbidden", "bad download signature")
        if container.clock.now() > int(expires):
            raise ApiError(410, "expired", "the download link has expired")
        info, path = downloads.info(file_id), downloads.path(file_id)
        try:
            data = path.read_bytes() if info is not None and path is not None else None
        except OSError:
            data = None
        if info is None or data is None:
            raise ApiError(404, "not_found", "the file is gone")
        plain = info.filename.encode("ascii", "replace").decode().replace('"', "_").replace("\\", "_")
        disposition = f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(info.filename, safe='')}"
        return Response(data, media_type=info.mime_type or _OCTET_STREAM,
                        headers={"Content-Disposition": disposition})
