"""The tenancy Application: one event log for the instance, tenants, accounts and the command log."""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec

from application.base import SYSTEM, CommandMeta
from application.ports import Clock, SecretBox
from application.tenancy.accounts import AccountCommands
from application.tenancy.console_keys import ConsoleKeyCommands
from application.tenancy.instance import InstanceCommands
from application.tenancy.tenants import TenantCommands
from domain.command_entry import Actor, CommandEntry


class TenancyApplication(InstanceCommands, TenantCommands, AccountCommands, ConsoleKeyCommands):
    name: ClassVar[str] = "tenancy"

    def __init__(self, env: dict[str, Any], secret_box: SecretBox, clock: Clock | None = None):
        super().__init__(env, clock)
        self.secret_box = secret_box

    def record_command(self, fields: dict[str, Any], meta: CommandMeta = SYSTEM) -> int:
        """Append one command-log entry (its payload already redacted by the caller)."""
        fields = {**fields, "actor": msgspec.convert(fields["actor"], Actor)}
        with self.under(meta, fields.get("tenant_id")):
            return self.record(CommandEntry.record(**fields))
