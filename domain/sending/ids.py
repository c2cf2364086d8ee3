"""Deterministic ids of the sending context: a message is found by (tenant, client id) alone."""

from __future__ import annotations

import functools
from uuid import UUID, uuid5

from domain.instance import LEDGERMAIL_NAMESPACE


@functools.lru_cache(maxsize=16384)  # pure; one add-messages call asks three times per message
def message_uuid(tenant_id: str, client_id: str) -> UUID:
    """The message's ``pk``: stable for the pair, so a resubmission finds the same aggregate."""
    return uuid5(LEDGERMAIL_NAMESPACE, f"message/{tenant_id}/{client_id}")


def message_event_id(pk: UUID, version: int) -> str:
    """A stable id for one event of a message (history, report items): ``<pk>:<version>``,
    the same shape the command log uses, and the same after any rebuild or replay."""
    return f"{pk}:{version}"
