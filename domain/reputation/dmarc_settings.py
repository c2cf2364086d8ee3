"""The tenant's DMARC settings (console.md §13, §16): ``dmarc.knownSources`` (IP -> label, or
``{label, ignored}``; a DB tag on the same IP overrides it) and ``dmarc.retentionDays``."""

from __future__ import annotations

from typing import Annotated

import msgspec


class KnownSource(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    label: str
    ignored: bool = False


class DmarcSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    known_sources: dict[str, str | KnownSource] = msgspec.field(default_factory=dict)
    retention_days: Annotated[int, msgspec.Meta(ge=0, le=36500)] = 90  # 0 keeps source rows forever
