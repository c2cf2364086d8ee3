"""The walk order of a broadcast's recipients and where a cursor resumes it.

Keys are ``[rank, value, contactId]``: rank 0 numbers, 1 strings, 2 other JSON values
(encoded), 3 missing; the order is (rank, value) ascending or descending, ties always by
contactId ascending, so any two walks over the same contacts agree.

A stored cursor keeps the value only for ``createdAt``: an address or a field is sealed
personal data (console.md §2.4) and must not sit in clear in ``PageDispatched``. Such a
cursor is ``[rank, null, contactId]`` and resumes right after that contact; if the contact
has left the list meanwhile (forgotten, unsubscribed), ``position_after`` answers None and
the fan-out resumes at the first recipient without a send of the broadcast.
"""

from __future__ import annotations

import json
from typing import Any

from application.campaigns.broadcast_ports import Recipient

MISSING_RANK = 3


def order_key(value: Any, contact_id: str, missing: bool = False) -> list[Any]:
    if missing or value is None:
        return [MISSING_RANK, "", contact_id]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [0, value, contact_id]
    if isinstance(value, str):
        return [1, value, contact_id]
    return [2, json.dumps(value, sort_keys=True), contact_id]


def sort_recipients(recipients: list[Recipient], desc: bool) -> list[Recipient]:
    recipients.sort(key=lambda r: r.key[2])
    recipients.sort(key=lambda r: (r.key[0], r.key[1]), reverse=desc)  # stable: ties stay by id
    return recipients


def after(key: list[Any], cursor: list[Any], desc: bool) -> bool:
    """Is ``key`` strictly after ``cursor`` in the walk order?"""
    mine, theirs = (key[0], key[1]), (cursor[0], cursor[1])
    if mine == theirs:
        return bool(key[2] > cursor[2])
    return mine < theirs if desc else mine > theirs


def stored_cursor(key: list[Any], field: str) -> list[Any]:
    return list(key) if field == "createdAt" else [key[0], None, key[2]]


def position_after(recipients: list[Recipient], cursor: list[Any] | None, desc: bool) -> int | None:
    """Index of the first recipient after ``cursor`` (0 without one): where the walk resumes;
    None when a personal-data cursor's contact is no longer in the list."""
    if not cursor:
        return 0
    if cursor[1] is None:  # a personal-data order: by contact
        found = next((i for i, r in enumerate(recipients) if r.contact_id == cursor[2]), None)
        return None if found is None else found + 1
    lo, hi = 0, len(recipients)
    while lo < hi:  # the list is sorted in walk order, so "after" is monotone
        mid = (lo + hi) // 2
        if after(recipients[mid].key, cursor, desc):
            hi = mid
        else:
            lo = mid + 1
    return lo
