"""The console Application: contacts and consent, contact events, the event registry."""

from __future__ import annotations

from typing import Any, ClassVar

from application.console.events import EventCommands
from application.console.imports import ExistingAggregates, ImportCommands
from application.console.outcomes import OutcomeContactCommands
from application.console.ports import PersonalVault
from application.ports import Clock


class ConsoleApplication(ImportCommands, EventCommands, OutcomeContactCommands):
    name: ClassVar[str] = "console"

    def __init__(
        self,
        env: dict[str, Any],
        vault: PersonalVault,
        existing: ExistingAggregates,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(env, clock)
        self.vault = vault
        self.existing = existing
