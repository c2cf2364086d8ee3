"""Rules 4-7 of console.md §2.3's decision table, shared by enqueue and the pre-attempt check.

4. an unexpired suppression of scope ``all`` or the send's kind on the address key;
5. marketing to a contact that is not ``subscribed``;
6. the (From domain, kind) health bucket tripped and holding this kind;
7. the send's broadcast paused.

Suppressions are read from the write model (the sending log), not the view, so one added a
moment ago already holds. Rules 6 and 7 belong to other parts (health, broadcasts): they
plug in as ``HoldCheck`` callables on the container (``Container.send_holds``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.suppression import normalize_address, suppression_uuid

if TYPE_CHECKING:
    from adapters.bootstrap import Container

# (container, tenant_id, send facts) -> a hold such as "health:<bucketId>", or None
HoldCheck = Callable[["Container", str, "SendFacts"], "str | None"]


class SendFacts:
    """What the hold checks may look at: cheap, and the same at enqueue and before an attempt."""

    __slots__ = ("batch_code", "dedupe_key", "from_domain", "kind", "origin")

    def __init__(self, *, origin: str, kind: str, from_domain: str, batch_code: str | None,
                 dedupe_key: str) -> None:
        self.origin, self.kind, self.from_domain = origin, kind, from_domain
        self.batch_code, self.dedupe_key = batch_code, dedupe_key


def suppression_reason(container: Container, tenant_id: str, address: str, kind: str) -> str | None:
    """Rule 4: the reason of an unexpired suppression of scope all or ``kind``, if any."""
    key = container.secret_box.address_key(tenant_id, normalize_address(address))
    for scope in ("all", kind):
        entry = container.sending.get_suppression(tenant_id, key, scope)  # type: ignore[arg-type]
        if entry is not None and entry.active():
            return str(entry.reason)
    return None


def suppression_reasons(container: Container, tenant_id: str, wanted: Iterable[tuple[str, str]]
                        ) -> dict[tuple[str, str], str]:
    """Rule 4 for many (address, kind) at once: one existence query on the sending log, then
    only the entries that exist are loaded (a broadcast page mostly has none)."""
    ids: dict[UUID, tuple[str, str]] = {}
    for address, kind in wanted:
        key = container.secret_box.address_key(tenant_id, normalize_address(address))
        for scope in ("all", kind):
            ids[suppression_uuid(tenant_id, key, scope)] = (address, kind)  # type: ignore[arg-type]
    out: dict[tuple[str, str], str] = {}
    for ident in sorted(container.sending.existing.existing(list(ids)), key=str):
        entry = container.sending._entry(ident)
        pair = ids[ident]
        if entry is not None and entry.active() and (pair not in out or entry.scope == "all"):
            out[pair] = str(entry.reason)
    return out


def refusal(container: Container, tenant_id: str, address: str, kind: str, contact: Any,
            known: dict[tuple[str, str], str] | None = None) -> str | None:
    """Rules 4 and 5: the statusReason of a send that must not go out, else None. ``contact``
    None: a one-off to a bare address, which has consent by being asked for (only rule 4).
    ``known``: rule 4 already answered for a batch (``suppression_reasons``)."""
    if known is not None:
        reason = known.get((address, kind))
    else:
        reason = suppression_reason(container, tenant_id, address, kind)
    if reason is not None:
        return f"suppressed:{reason}"
    if kind == "marketing" and contact is not None and contact.status != "subscribed":
        return "not_subscribed"
    return None


def hold_for(container: Container, tenant_id: str, facts: SendFacts) -> str | None:
    """Rules 6 and 7: the first hold a registered check puts on this send, if any."""
    for check in container.send_holds:
        hold = check(container, tenant_id, facts)
        if hold is not None:
            return hold
    return None


def from_domain(from_addr: str) -> str:
    address = from_addr.rpartition("<")[2].rstrip(">") if "<" in from_addr else from_addr
    return address.strip().rpartition("@")[2].lower()
