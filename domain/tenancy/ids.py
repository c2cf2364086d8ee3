"""Deterministic aggregate ids for natural keys: found without asking a read model."""

from __future__ import annotations

import re
from uuid import UUID, uuid5

from domain.instance import LEDGERMAIL_NAMESPACE

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
BATCH_CODE_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
_ID = re.compile(ID_PATTERN)


def is_valid_id(value: str) -> bool:
    return bool(_ID.match(value))


def tenant_uuid(tenant_id: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"tenant/{tenant_id}")


def account_uuid(tenant_id: str, account_id: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"account/{tenant_id}/{account_id}")
