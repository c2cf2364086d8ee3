"""The ``attachments`` of one add-messages entry (spec proxy.md §9.1, §9.2, §9.4).

Shape problems are ``invalid_field`` / ``missing_field`` / ``unknown_field``; what §9.2 calls
"checked at enqueue" is ``attachment_invalid`` (``attachment_too_large`` for base64 over the
tenant's reject limit). Filesystem paths are checked lexically against the tenant's roots;
symlinks can only be resolved by the adapter that reads the file.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
import unicodedata
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, get_args
from urllib.parse import urlsplit

from domain.sending.content import Attachment, AttachmentAuth, FetchMode
from domain.sending.entry_fields import Problem, known_keys, optional_str, required_str
from domain.sending.filenames import clean_filename

if TYPE_CHECKING:
    from domain.sending.validate import ValidationContext

MAX_ATTACHMENTS = 50
MAX_FILENAME = 255
BASE64_PREFIX = "base64:"
_FETCH_MODES = frozenset(get_args(FetchMode))
_KEYS = frozenset({"filename", "storage_path", "fetch_mode", "mime_type", "content_md5", "auth"})
_AUTH_KEYS = frozenset({"method", "token", "user", "password"})
_MIME_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"  # RFC 6838 §4.2 restricted-name
_MIME_TYPE = re.compile(rf"{_MIME_NAME}/{_MIME_NAME}")
_MD5 = re.compile(r"[0-9A-Fa-f]{32}")
_WHITESPACE = re.compile(r"\s+")
_MIB = 1024 * 1024


def attachments(entry: dict[str, Any], ctx: ValidationContext) -> list[Attachment]:
    value = entry.get("attachments")
    if value is None:
        return []
    if not isinstance(value, list):
        raise Problem.invalid("attachments", "must be a list")
    if len(value) > MAX_ATTACHMENTS:
        raise Problem.invalid("attachments", f"at most {MAX_ATTACHMENTS} attachments")
    return [_attachment(item, f"attachments[{index}]", ctx) for index, item in enumerate(value)]


def infer_fetch_mode(storage_path: str, root_names: Collection[str]) -> FetchMode:
    """§9.2, when ``fetch_mode`` is absent. ``root_names``: the configured filesystem roots."""
    if storage_path.startswith(BASE64_PREFIX):
        return "base64"
    if storage_path.lower().startswith(("http://", "https://")):
        return "http_url"
    root, colon, _ = storage_path.partition(":")
    if storage_path.startswith("/") or (colon and root in root_names):
        return "filesystem"
    return "endpoint"


def decode_base64(text: str) -> bytes | None:
    """Standard or URL-safe alphabet, whitespace ignored, padding repaired; None if it is not."""
    compact = _WHITESPACE.sub("", text).rstrip("=")
    if len(compact) % 4 == 1:  # no padding can make this length whole
        return None
    altchars = b"-_" if ("-" in compact or "_" in compact) else None
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4), altchars=altchars, validate=True)
    except (binascii.Error, ValueError):
        return None


def _attachment(item: object, at: str, ctx: ValidationContext) -> Attachment:
    if not isinstance(item, dict):
        raise Problem.invalid(at, "must be an object")
    prefix = f"{at}."
    known_keys(item, _KEYS, prefix)
    filename = _filename(item, prefix)
    mode, storage_path = _source(item, prefix, ctx)
    attachment = Attachment(
        filename=filename,
        storage_path=storage_path,
        fetch_mode=mode,
        mime_type=_mime_type(item, prefix),
        content_md5=_content_md5(item, prefix),
        auth=_auth(item.get("auth"), f"{prefix}auth"),
    )
    _check_source(mode, storage_path, f"{prefix}storage_path", ctx)
    return attachment


def _filename(item: dict[str, Any], at: str) -> str:
    name = required_str(item, "filename", at)
    field = f"{at}filename"
    if not 1 <= len(name) <= MAX_FILENAME:
        raise Problem.invalid(field, f"must be 1-{MAX_FILENAME} characters")
    if "/" in name or "\\" in name or any(unicodedata.category(char) == "Cc" for char in name):
        raise Problem.invalid(field, "must not contain '/', '\\' or control characters")
    if not clean_filename(name)[0]:
        raise Problem.invalid(field, "nothing is left once the MD5 marker is removed")
    return name


def _source(item: dict[str, Any], at: str, ctx: ValidationContext) -> tuple[FetchMode, str]:
    mode = optional_str(item, "fetch_mode", at)
    if mode is not None and mode not in _FETCH_MODES:
        raise Problem.invalid(f"{at}fetch_mode", "must be endpoint, http_url, base64 or filesystem")
    storage_path = required_str(item, "storage_path", at)
    if not storage_path:
        raise Problem.invalid(f"{at}storage_path", "must not be empty")
    resolved: FetchMode = mode or infer_fetch_mode(storage_path, ctx.filesystem_roots)  # type: ignore[assignment]
    if resolved == "base64":  # the prefix is optional when the mode is explicit
        storage_path = storage_path.removeprefix(BASE64_PREFIX)
    return resolved, storage_path


def _mime_type(item: dict[str, Any], at: str) -> str | None:
    value = optional_str(item, "mime_type", at)
    if value is not None and not _MIME_TYPE.fullmatch(value):
        raise Problem.invalid(f"{at}mime_type", "must be type/subtype")
    return None if value is None else value.lower()


def _content_md5(item: dict[str, Any], at: str) -> str | None:
    value = optional_str(item, "content_md5", at)
    if value is not None and not _MD5.fullmatch(value):
        raise Problem.invalid(f"{at}content_md5", "must be 32 hexadecimal characters")
    return None if value is None else value.lower()


def _auth(value: object, at: str) -> AttachmentAuth | None:
    """Secrets come back in plain text: the application encrypts them before any event."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Problem.invalid(at, "must be an object")
    prefix = f"{at}."
    known_keys(value, _AUTH_KEYS, prefix)
    method = optional_str(value, "method", prefix) or "none"
    needs = {"none": (), "bearer": ("token",), "basic": ("user", "password")}.get(method)
    if needs is None:
        raise Problem.invalid(f"{prefix}method", "must be none, bearer or basic")
    # Only the credentials the method uses are kept: a stray secret is not worth storing.
    credentials = {key: required_str(value, key, prefix) for key in needs}
    for key, secret in credentials.items():
        if not secret:
            raise Problem.invalid(f"{prefix}{key}", "must not be empty")
    return AttachmentAuth(method=method, **credentials)  # type: ignore[arg-type]


def _check_source(mode: FetchMode, path: str, field: str, ctx: ValidationContext) -> None:
    if mode == "endpoint" and not ctx.has_client_base_url:
        raise Problem("attachment_invalid", field, "endpoint attachments need the tenant's client_base_url")
    if mode == "http_url":
        parts = urlsplit(path)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise Problem("attachment_invalid", field, "must be an http(s) URL")
    if mode == "base64":
        _check_base64(path, field, ctx.reject_limit_mb)
    if mode == "filesystem":
        problem = _filesystem_problem(path, ctx.filesystem_roots)
        if problem:
            raise Problem("attachment_invalid", field, problem)


def _check_base64(text: str, field: str, reject_limit_mb: float | None) -> None:
    data = decode_base64(text)
    if data is None:
        raise Problem("attachment_invalid", field, "not valid base64")
    if reject_limit_mb is not None and len(data) / _MIB > reject_limit_mb:
        raise Problem("attachment_too_large", field, f"larger than the tenant's {reject_limit_mb} MB limit")


def _filesystem_problem(path: str, roots: dict[str, str]) -> str | None:
    if not roots:
        return "no filesystem roots are configured"
    root, colon, relative = ("", "", path) if path.startswith("/") else path.partition(":")
    if "\x00" in path or ".." in re.split(r"[/\\]", relative):
        return "'..' and NUL are not allowed in a path"
    if path.startswith("/"):
        normal = posixpath.normpath(path)
        inside = any(_within(normal, posixpath.normpath(base)) for base in roots.values())
        return None if inside else "the path is outside the tenant's filesystem roots"
    if not colon:
        return "must be an absolute path or <root>:<path>"
    if root not in roots:
        return f"unknown filesystem root {root!r}"
    if not relative or relative.startswith(("/", "\\")):
        return "the path after the root name must be relative"
    return None


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")
