"""Walking a flow's steps by path: ``"2"``, ``"2.t.0"`` (indexes joined by ``.``, arms t/f).

``after`` says where a run goes when the step at a path is done: the next step of its list;
at the end of an arm, after the branch if it ``rejoin``s, else nowhere (the run completes).
"""

from __future__ import annotations

from typing import Any

ARMS = {"t": "ifTrue", "f": "ifFalse"}


def _parse(path: str) -> tuple[list[str], int]:
    parts = path.split(".")
    return parts[:-1], int(parts[-1])


def _list_at(steps: list[dict[str, Any]], prefix: list[str]) -> list[dict[str, Any]] | None:
    current: list[dict[str, Any]] = steps
    for i in range(0, len(prefix), 2):
        index, arm = int(prefix[i]), prefix[i + 1]
        if index >= len(current) or current[index].get("type") != "branch" or arm not in ARMS:
            return None
        current = current[index].get(ARMS[arm], [])
    return current


def step_at(steps: list[dict[str, Any]], path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None
    prefix, index = _parse(path)
    found = _list_at(steps, prefix)
    return found[index] if found is not None and 0 <= index < len(found) else None


def first(steps: list[dict[str, Any]]) -> str | None:
    return "0" if steps else None


def enter_arm(steps: list[dict[str, Any]], branch_path: str, truth: bool) -> str | None:
    """The first step of the arm taken at ``branch_path``; an empty arm ends like its end."""
    arm = "t" if truth else "f"
    branch = step_at(steps, branch_path) or {}
    if branch.get(ARMS[arm]):
        return f"{branch_path}.{arm}.0"
    return after(steps, branch_path) if branch.get("rejoin") else None


def after(steps: list[dict[str, Any]], path: str) -> str | None:
    prefix, index = _parse(path)
    siblings = _list_at(steps, prefix) or []
    if index + 1 < len(siblings):
        return ".".join([*prefix, str(index + 1)])
    if not prefix:
        return None
    branch_path = ".".join(prefix[:-1])
    branch = step_at(steps, branch_path) or {}
    return after(steps, branch_path) if branch.get("rejoin") else None
