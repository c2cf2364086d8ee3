"""The instance secret: loaded or generated once, then split into purpose keys by HKDF.

Token digests (HMAC-SHA256), secret encryption (AES-256-GCM, ``enc:v1:<base64>``) and
download signatures each get their own derived key, so no key serves two purposes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

ENC_PREFIX = "enc:v1:"


class SecretKeyError(ValueError):
    """The secret key is missing, malformed, or not readable."""


def load_or_create_key(configured: str | None, data_dir: Path) -> bytes:
    """Use LEDGERMAIL_SECRET_KEY, else <data_dir>/secret.key, generating it (0600) once."""
    if configured:
        return _decode_key(configured, "LEDGERMAIL_SECRET_KEY")
    path = data_dir / "secret.key"
    if path.exists():
        return _decode_key(path.read_text().strip(), str(path))
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return _decode_key(path.read_text().strip(), str(path))
    with os.fdopen(fd, "w") as fh:
        fh.write(base64.b64encode(key).decode() + "\n")
    log.warning("generated a new instance secret key at %s: back it up", path)
    return key


def _decode_key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise SecretKeyError(f"{where}: not valid base64") from exc
    if len(key) != 32:
        raise SecretKeyError(f"{where}: must decode to 32 bytes, got {len(key)}")
    return key


def _derive(master: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(master)


class CryptoSecretBox:
    """Implements ``application.ports.SecretBox`` with the cryptography package."""

    def __init__(self, master_key: bytes) -> None:
        self._token_key = _derive(master_key, "ledgermail token hmac v1")
        self._aead = AESGCM(_derive(master_key, "ledgermail secret encryption v1"))
        self.download_key = _derive(master_key, "ledgermail download signing v1")
        self.cursor_key = _derive(master_key, "ledgermail cursor signing v1")
        self._address_root = _derive(master_key, "ledgermail address key v1")
        self._address_keys: dict[str, bytes] = {}
        self._check = hmac.new(
            _derive(master_key, "ledgermail key check v1"), b"ledgermail", hashlib.sha256
        ).hexdigest()[:32]

    def token_digest(self, salt: bytes, secret: str) -> str:
        return hmac.new(self._token_key, salt + secret.encode(), hashlib.sha256).hexdigest()

    def key_check(self) -> str:
        return self._check

    def address_key(self, tenant_id: str, address: str) -> str:
        """console.md §2.4: hex HMAC-SHA256 of the trimmed, lower-cased address under the
        tenant's own key, so equal addresses of two tenants never share a hash."""
        key = self._address_keys.get(tenant_id)
        if key is None:
            key = hmac.new(self._address_root, tenant_id.encode(), hashlib.sha256).digest()
            self._address_keys[tenant_id] = key
        return hmac.new(key, address.strip().lower().encode(), hashlib.sha256).hexdigest()

    def encrypt(self, plaintext: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), None)
        return ENC_PREFIX + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, ciphertext: str) -> str:
        if not ciphertext.startswith(ENC_PREFIX):
            raise SecretKeyError("not an enc:v1 value")
        raw = base64.b64decode(ciphertext[len(ENC_PREFIX):])
        return self._aead.decrypt(raw[:12], raw[12:], None).decode()
