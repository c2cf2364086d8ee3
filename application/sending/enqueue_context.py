"""The rules a batch of messages is checked against, from the instance config and the tenant.

``POST /commands/add-messages``, ``ledgermail messages add`` and the dispatch benchmark all
queue through ``SendingApplication.queue_messages``; they build its ``ValidationContext``
and ``QueueOptions`` here so all three check exactly the same rules.
"""

from __future__ import annotations

from collections.abc import Iterable

from application.sending.app import QueueOptions
from domain.instance_config import InstanceConfig
from domain.sending.validate import ValidationContext
from domain.tenancy.settings import TenantSettings


def queue_context(tenant_id: str, settings: TenantSettings, account_ids: Iterable[str],
                  config: InstanceConfig, now: float, default_priority: int | None = None,
                  ) -> tuple[ValidationContext, QueueOptions]:
    """``default_priority``: the call's, already parsed; None takes the instance default."""
    lfc = settings.large_file_config
    roots = {name: path.replace("{tenant_id}", tenant_id)
             for name, path in config.attachments.filesystem_roots.items()}
    ctx = ValidationContext(
        tenant_id=tenant_id, account_ids=frozenset(account_ids), now=now,
        default_priority=config.default_priority if default_priority is None else default_priority,
        max_recipients_per_message=config.max_recipients_per_message, max_body_bytes=config.max_body_bytes,
        has_client_base_url=bool(settings.client_base_url), filesystem_roots=roots,
        reject_limit_mb=lfc.max_size_mb if lfc.enabled and lfc.action == "reject" else None)
    options = QueueOptions(message_id_domain=config.message_id_domain, report=bool(settings.client_base_url))
    return ctx, options
