"""The segment language of console.md §9.1: validate, compile, evaluate over ContactFacts.

``compile_segment(doc)`` checks the document (depth <= 6, <= 100 leaves, known leaves with
well-formed values; else ``InvalidSegment`` with the JSON path) and returns a predicate
``(facts, now) -> bool``: compiled once, then run per contact, so a 100,000-contact count
pays the parsing once. ``needs(doc)`` names the facts beyond the contact row it reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.campaigns.segment_facts import ACTIVITY, BROADCASTS, ENGAGEMENT, EVENTS, ContactFacts
from domain.campaigns.segment_leaves import LEAVES
from domain.templates.rules import GateRefused

Test = Callable[[ContactFacts, float], bool]
MAX_DEPTH, MAX_LEAVES = 6, 100
NEEDS = {"event": EVENTS, "opened": ACTIVITY, "clicked": ACTIVITY, "engagement": ENGAGEMENT,
         "receivedBroadcast": BROADCASTS}
EVERYONE: dict[str, Any] = {"all": []}


class InvalidSegment(GateRefused):
    """400 ``invalid_segment`` with ``path`` (JSON path of the offending node)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__("invalid_segment", 400, f"{path}: {message}", path=path)
        self.path = path


class _Walk:
    """Walks all/any/not and hands leaves to their builders (shared with flow predicates)."""

    def __init__(self, leaves: dict[str, Callable[[Any, str], Test]], max_depth: int = MAX_DEPTH,
                 error: Callable[[str, str], Exception] = InvalidSegment) -> None:
        self.leaves, self.count, self.max_depth, self.error = leaves, 0, max_depth, error

    def node(self, doc: Any, path: str, depth: int) -> Test:
        if depth > self.max_depth:
            raise self.error(path, f"nested deeper than {self.max_depth}")
        if not isinstance(doc, dict) or len(doc) != 1:
            raise self.error(path, "a segment is an object with exactly one key")
        (key, value), sub = next(iter(doc.items())), f"{path}.{next(iter(doc))}"
        if key in ("all", "any"):
            if not isinstance(value, list):
                raise self.error(sub, "must be a list of segments")
            parts = [self.node(v, f"{sub}[{i}]", depth + 1) for i, v in enumerate(value)]
            if key == "all":
                return lambda f, now: all(p(f, now) for p in parts)
            return lambda f, now: any(p(f, now) for p in parts)
        if key == "not":
            inner = self.node(value, sub, depth + 1)
            return lambda f, now: not inner(f, now)
        build = self.leaves.get(key)
        if build is None:
            raise self.error(sub, f"unknown leaf {key[:64]!r}")
        self.count += 1
        if self.count > MAX_LEAVES:
            raise self.error(sub, f"more than {MAX_LEAVES} leaves")
        try:
            return build(value, sub)
        except (TypeError, ValueError, KeyError) as exc:
            raise self.error(sub, str(exc) or "bad value") from exc


def compile_segment(doc: Any, path: str = "$.segment") -> Test:
    """The predicate of a segment document; raises ``InvalidSegment``."""
    return _Walk(LEAVES).node(doc, path, 1)


def validate_segment(doc: Any, path: str = "$.segment") -> None:
    compile_segment(doc, path)


def needs(doc: Any) -> set[str]:
    """Which extra facts (segment_facts.EVENTS, ACTIVITY, ...) a valid segment reads."""
    out: set[str] = set()

    def walk(node: Any) -> None:
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            if key in ("all", "any") and isinstance(value, list):
                for item in value:
                    walk(item)
            elif key == "not":
                walk(value)
            elif key in NEEDS:
                out.add(NEEDS[key])

    walk(doc)
    return out
