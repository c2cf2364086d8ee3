"""The event catalogue cannot drift: docs/events.md equals what the registry generates."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import domain
from domain.catalogue import AGGREGATE_MODULES, all_events
from domain.model import Aggregate
from scripts import events_doc


@pytest.mark.unit
def test_every_aggregate_module_is_in_the_catalogue() -> None:
    listed = {m.__name__ for m in AGGREGATE_MODULES}
    defining = set()
    for info in pkgutil.walk_packages(domain.__path__, prefix="domain."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Aggregate) and cls is not Aggregate and cls.__module__ == module.__name__:
                defining.add(module.__name__)
    missing = sorted(defining - listed)
    assert not missing, f"add {missing} to domain/catalogue.py AGGREGATE_MODULES"


@pytest.mark.unit
def test_the_catalogue_has_no_test_topics_and_every_event_has_an_aggregate() -> None:
    events = all_events()
    assert events and not any(topic.startswith("Test.") for topic in events)
    assert all("." in topic for topic in events)


@pytest.mark.unit
def test_docs_events_md_is_up_to_date() -> None:
    diff = events_doc.check(events_doc.DEFAULT_PATH)
    assert not diff, "docs/events.md is out of date: run `python -m scripts.events_doc`\n" + "\n".join(
        diff[:80]
    )
