"""Policy checks of the attachment fetcher (spec proxy.md §9.2): which filesystem paths a tenant
may read and which hosts an ``http_url`` attachment may reach."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from pathlib import Path

from application.sending.ports import AttachmentFetchError
from domain.sending.failure import AttemptFailure


def refuse(text: str) -> AttachmentFetchError:
    return AttachmentFetchError(AttemptFailure(kind="attachment_permanent", text=text))


def retry(text: str) -> AttachmentFetchError:
    return AttachmentFetchError(AttemptFailure(kind="attachment_temporary", text=text))


def tenant_roots(roots: dict[str, str], tenant_id: str) -> dict[str, Path]:
    """The configured roots with ``{tenant_id}`` substituted, symlinks resolved."""
    return {name: Path(base.replace("{tenant_id}", tenant_id)).resolve() for name, base in roots.items()}


def resolve_file(storage_path: str, roots: dict[str, Path]) -> Path:
    """``name:rel`` against that root, or an absolute path; either must resolve (symlinks
    too) to an existing file inside one of ``roots``. Raises a permanent fetch error."""
    if "\x00" in storage_path:
        raise refuse("attachment path contains NUL")
    if storage_path.startswith("/"):
        candidate, allowed = Path(storage_path), list(roots.values())
    else:
        name, colon, relative = storage_path.partition(":")
        if not colon or name not in roots:
            raise refuse(f"unknown filesystem root in {storage_path!r}")
        candidate, allowed = roots[name] / relative, [roots[name]]
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise refuse(f"attachment file not found: {storage_path}") from exc
    if not any(resolved == root or resolved.is_relative_to(root) for root in allowed):
        raise refuse(f"attachment path is outside the tenant's filesystem roots: {storage_path}")
    if not resolved.is_file():
        raise refuse(f"attachment path is not a file: {storage_path}")
    return resolved


def is_public_address(address: str) -> bool:
    """False for private, shared (CGNAT), loopback, link-local, multicast, reserved or
    unspecified addresses (IPv4-mapped IPv6 judged by its IPv4 address)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                or ip.is_reserved or ip.is_unspecified)


async def check_public_host(host: str, port: int) -> None:
    """Every address ``host`` resolves to must be public; raises a fetch error otherwise."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise retry(f"attachment host {host} does not resolve: {exc}") from exc
    addresses = {str(info[4][0]) for info in infos}
    private = sorted(a for a in addresses if not is_public_address(a))
    if private or not addresses:
        raise refuse(f"attachment URL target {host} is a private address ({', '.join(private)}); "
                     "refused by policy")
