"""Priority parsing: 0-3 or a label, nothing else (spec proxy.md §5.1)."""

from __future__ import annotations

import pytest

from domain.errors import InvalidValue
from domain.sending.priority import LABEL_OF, parse_priority

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), (1, 1), (2, 2), (3, 3), ("immediate", 0), ("high", 1), ("medium", 2), ("low", 3),
     ("HIGH", 1), ("Low", 3), ("iMmEdIaTe", 0)],
)
def test_ints_and_labels_in_any_case(value: object, expected: int) -> None:
    assert parse_priority(value) == expected


@pytest.mark.parametrize(
    "value", [4, -1, 7, True, False, "urgent", "2", " high", "high ", "", 2.0, 1.5, None, [1], {"p": 1}]
)
def test_anything_else_is_refused_not_clamped(value: object) -> None:
    with pytest.raises(InvalidValue) as raised:
        parse_priority(value)
    assert raised.value.field == "priority" and raised.value.code == "validation_failed"


def test_the_error_names_the_field_it_came_from() -> None:
    with pytest.raises(InvalidValue, match="default_priority") as raised:
        parse_priority("x" * 500, field="default_priority")
    assert raised.value.field == "default_priority" and len(raised.value.message) < 150


def test_labels_round_trip() -> None:
    assert {parse_priority(label): n for n, label in LABEL_OF.items()} == {n: n for n in range(4)}
