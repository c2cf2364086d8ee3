"""``ViewSuppressionList``: the dispatcher's ``SuppressionList`` port over the ``suppressions``
read model (proxy.md §6.3).

The addresses about to be mailed are hashed with the tenant's address key and looked up
by key. Proxy (API) messages count as transactional (console.md §2.3), so entries of scope
``all`` and ``transactional`` hold them; ``marketing`` entries do not.
"""

from __future__ import annotations

from collections.abc import Collection

from application.ports import Clock, SecretBox
from projections.suppressions import SuppressionsView

API_SCOPES = ("all", "transactional")


class ViewSuppressionList:
    def __init__(self, view: SuppressionsView, secret_box: SecretBox, clock: Clock,
                 scopes: Collection[str] = API_SCOPES) -> None:
        self.view, self.secret_box, self.clock, self.scopes = view, secret_box, clock, tuple(scopes)

    def suppressed(self, tenant_id: str, addresses: Collection[str]) -> set[str]:
        keys = {self.secret_box.address_key(tenant_id, a): a.strip().lower() for a in addresses}
        if not keys:
            return set()
        hits = self.view.suppressed_keys(tenant_id, keys, self.scopes, self.clock.now())
        return {keys[k] for k in hits}
