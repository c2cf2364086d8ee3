"""Per-contact data keys in ``contact_keys``, outside the event store (console.md §2.4).

Each contact gets a random 32-byte AES-256-GCM key, stored wrapped (AES-GCM) under a key
derived from the instance secret. Sealing personal data with it, and deleting the row on
forget, is crypto-shredding: the events stay, but what they sealed never opens again.
Address keys come from the secret box (HMAC-SHA256 under a per-tenant key), the same
hash the suppressions are keyed by.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from adapters.secrets import CryptoSecretBox
from adapters.sqldb import PostgresDatabase, SqliteDatabase

SEALED_PREFIX = "enc:c1:"
CHUNK = 500


def derive(master: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(master)


class ContactKeyVault:
    """Implements ``application.console.ports.PersonalVault``."""

    TABLE = "contact_keys"

    def __init__(
        self, db: SqliteDatabase | PostgresDatabase, master_key: bytes, secret_box: CryptoSecretBox
    ) -> None:
        self.db = db
        self._wrap = AESGCM(derive(master_key, "ledgermail contact key wrapping v1"))
        self._secret_box = secret_box  # address keys: the same hash the suppressions use

    def create(self) -> None:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        with self.db.transaction() as tx:
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS {self.TABLE} (contact_id TEXT PRIMARY KEY, "
                f"tenant_id TEXT NOT NULL, wrapped TEXT NOT NULL, created_ts {real} NOT NULL)"
            )

    def keys(self, tenant_id: str, contact_ids: Sequence[UUID], *, create: bool) -> dict[UUID, bytes]:
        wanted = list(dict.fromkeys(contact_ids))
        found = self._load(wanted)
        missing = [c for c in wanted if c not in found]
        if create and missing:
            fresh = {c: secrets.token_bytes(32) for c in missing}
            rows = [(str(c), tenant_id, self._wrap_key(c, k), 0.0) for c, k in fresh.items()]
            with self.db.transaction() as tx:
                tx.executemany(
                    f"INSERT INTO {self.TABLE} (contact_id, tenant_id, wrapped, created_ts) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (contact_id) DO NOTHING",
                    rows,
                )
            found.update(self._load(missing))  # a racing writer's key wins: read back what is stored
        return found

    def _load(self, ids: list[UUID]) -> dict[UUID, bytes]:
        out: dict[UUID, bytes] = {}
        with self.db.transaction(write=False) as tx:
            for start in range(0, len(ids), CHUNK):
                chunk = [str(c) for c in ids[start : start + CHUNK]]
                marks = ", ".join("?" for _ in chunk)
                for contact_id, wrapped in tx.execute(
                    f"SELECT contact_id, wrapped FROM {self.TABLE} WHERE contact_id IN ({marks})", chunk
                ):
                    ident = UUID(contact_id)
                    out[ident] = self._unwrap_key(ident, wrapped)
        return out

    def _wrap_key(self, contact_id: UUID, key: bytes) -> str:
        nonce = secrets.token_bytes(12)
        return base64.b64encode(nonce + self._wrap.encrypt(nonce, key, contact_id.bytes)).decode()

    def _unwrap_key(self, contact_id: UUID, wrapped: str) -> bytes:
        raw = base64.b64decode(wrapped)
        return self._wrap.decrypt(raw[:12], raw[12:], contact_id.bytes)

    def seal(self, key: bytes, data: Any) -> str:
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(key).encrypt(nonce, msgspec.json.encode(data), None)
        return SEALED_PREFIX + base64.b64encode(nonce + sealed).decode()

    def open(self, key: bytes | None, sealed: str | None) -> Any:
        if key is None or not sealed or not sealed.startswith(SEALED_PREFIX):
            return None
        raw = base64.b64decode(sealed[len(SEALED_PREFIX) :])
        try:
            return msgspec.json.decode(AESGCM(key).decrypt(raw[:12], raw[12:], None))
        except InvalidTag:
            return None

    def address_key(self, tenant_id: str, address: str) -> str:
        return self._secret_box.address_key(tenant_id, address)

    def shred(self, contact_ids: Sequence[UUID]) -> None:
        ids = [str(c) for c in contact_ids]
        with self.db.transaction() as tx:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                tx.execute(
                    f"DELETE FROM {self.TABLE} WHERE contact_id IN ({', '.join('?' for _ in chunk)})", chunk
                )
