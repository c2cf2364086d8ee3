"""``ViewMessageIds``: which messages carry a Message-ID header, from the ``messages`` view
(its ``messages_message_id`` index). The bounce intake trusts the answer only when exactly
one message has the id (proxy.md §10.3): Message-IDs are client-supplied and may repeat."""

from __future__ import annotations

from projections.sending import MessagesView


class ViewMessageIds:
    def __init__(self, view: MessagesView) -> None:
        self.view = view

    def pks_with_message_id(self, message_id: str, limit: int = 2) -> list[str]:
        value = message_id.strip()
        if not value:
            return []
        if not value.startswith("<"):
            value = f"<{value}>"
        with self.view.db.transaction(write=False) as tx:
            rows = tx.execute(f"SELECT pk FROM {self.view.t('messages')} WHERE message_id = ? LIMIT ?",
                              (value, limit))
        return [str(r[0]) for r in rows]
