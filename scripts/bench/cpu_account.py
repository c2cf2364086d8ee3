"""CPU seconds each part of a benchmark used while it was timed, read from Linux's /proc.

A delivery rate alone cannot say whether a run waited or computed. Summed per role (the
benchmark's process, a dispatcher process, the sink, PostgreSQL's server processes) over the
timed span and divided by the messages, it says what a message costs, and so the most a
machine of this many cores could deliver with the code as it is. Off Linux it reads nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
POSTGRES = "PostgreSQL"


def _cpu(pid: int) -> float | None:
    """utime + stime of every thread of ``pid``, seconds; None once it is gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces and brackets
    return (int(fields[11]) + int(fields[12])) / _TICK


def _postgres_pids() -> list[int]:
    found = []
    for entry in PROC.glob("[0-9]*"):
        try:
            if (entry / "comm").read_text().strip() == "postgres":
                found.append(int(entry.name))
        except OSError:
            continue
    return found


Roles = Mapping[str, Callable[[], list[int]]]  # role -> the pids that play it now


@dataclass(frozen=True)
class Spent:
    seconds: dict[str, float]  # CPU seconds per role over the span
    wall: float

    def per_message_ms(self, messages: int) -> dict[str, float]:
        return {role: 1000 * s / messages for role, s in self.seconds.items()}

    def total_ms(self, messages: int) -> float:
        """CPU of every role together, per message."""
        return 1000 * sum(self.seconds.values()) / messages


class CpuAccount:
    """``start()`` then ``stop(wall)``: a process first seen at ``stop`` counts from zero, one
    gone by then is left out (PostgreSQL's pooled backends live through a run)."""

    def __init__(self, roles: Roles, *, postgres: bool) -> None:
        self.roles = dict(roles)
        if postgres:
            self.roles[POSTGRES] = _postgres_pids
        self._before: dict[tuple[str, int], float] = {}
        self.available = (PROC / "self" / "stat").exists()

    def _read(self) -> dict[tuple[str, int], float]:
        out = {}
        for role, pids in self.roles.items():
            for pid in pids():
                spent = _cpu(pid)
                if spent is not None:
                    out[(role, pid)] = spent
        return out

    def start(self) -> None:
        self._before = self._read() if self.available else {}

    def stop(self, wall: float) -> Spent | None:
        if not self.available:
            return None
        seconds = {role: 0.0 for role in self.roles}
        for (role, pid), spent in self._read().items():
            seconds[role] += spent - self._before.get((role, pid), 0.0)
        return Spent(seconds, wall)


def summary(spent: Spent | None, messages: int, cores: int | None = None) -> str:
    """'CPU per message: a 0.30 ms, b 0.60 ms; total 0.90 ms (1.5 of 2 cores busy; 2 cores
    at this cost: 2,222 msg/s)'."""
    if spent is None or messages <= 0:
        return ""
    cores = cores or os.cpu_count() or 1
    per = spent.per_message_ms(messages)
    parts = ", ".join(f"{role} {ms:.2f} ms" for role, ms in per.items())
    total = spent.total_ms(messages)
    busy = sum(spent.seconds.values()) / spent.wall if spent.wall > 0 else 0.0
    return (f"CPU per message: {parts}; total {total:.2f} ms ({busy:.1f} of {cores} cores busy; "
            f"{cores} cores at this cost: {cores * 1000 / total:,.0f} msg/s)")
