"""VERP: the message's pk inside the envelope sender, to match bounces (spec proxy.md §10.3).

``bounces@mx.example`` + pk -> ``bounces+<token>@mx.example``, token = the 16 pk bytes as
lower-case unpadded base32 (26 characters). Base32 survives relays that fold the local
part's case, which base64 or hex-with-case would not guarantee.
"""

from __future__ import annotations

import base64
import binascii
import re
from uuid import UUID

TOKEN_LENGTH = 26
_TOKEN = re.compile(r"[a-z2-7]{26}")


def pk_to_verp_token(pk: UUID) -> str:
    return base64.b32encode(pk.bytes).decode("ascii").rstrip("=").lower()


def verp_token_to_pk(token: str) -> UUID | None:
    """The pk a token encodes, or None when it is not one of our tokens."""
    token = token.lower()
    if not _TOKEN.fullmatch(token):
        return None
    try:
        raw = base64.b32decode(token.upper() + "======")
    except binascii.Error:
        return None
    pk = UUID(bytes=raw)
    # 26 characters carry 130 bits: reject spellings whose two spare bits are set.
    return pk if pk_to_verp_token(pk) == token else None


def verp_address(return_path: str, pk: UUID) -> str:
    local, _, domain = return_path.rpartition("@")
    return f"{local}+{pk_to_verp_token(pk)}@{domain}"


def pk_from_verp_address(address: str, return_path: str) -> UUID | None:
    """The pk in ``address`` when it is ``return_path`` with a VERP token, else None."""
    local, _, domain = address.strip().strip("<>").rpartition("@")
    base_local, _, base_domain = return_path.rpartition("@")
    prefix, plus, token = local.rpartition("+")
    if not plus or prefix.lower() != base_local.lower() or domain.lower() != base_domain.lower():
        return None
    return verp_token_to_pk(token)
