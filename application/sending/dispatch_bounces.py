"""How a recipient refused at RCPT reads as a bounce: the domain's one classification table
(``domain.bounces.classify``, spec proxy.md §10.2), so a ``550 5.1.1`` refusal records the
same hard ``recipient`` bounce a DSN would."""

from __future__ import annotations

from domain.bounces.classify import BounceVerdict, classify_refusal

__all__ = ["BounceVerdict", "classify_refusal"]
