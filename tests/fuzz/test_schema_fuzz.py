"""schemathesis against the live OpenAPI schema (issue #12): every operation, positive and
negative inputs, as the admin token, a tenant key and a console key. Zero server errors and zero
contract violations (status code, content type, headers and body as documented; data the schema
forbids is refused with a 4xx).

Bounded and reproducible: a fixed number of examples per operation (``LEDGERMAIL_FUZZ_EXAMPLES``
raises it for a long run by hand), derandomized, no example database. Every operation runs
even after a failure, and the report names each failing one with its reproducing curl.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from typing import Any

import hypothesis.errors
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import checks as openapi_checks

from adapters.settings import Settings
from api.app import create_app
from tests.fuzz.bodies import with_bodies
from tests.support.console import Console
from tests.support.live import ADMIN, Live, live_server

pytestmark = [pytest.mark.fuzz, pytest.mark.e2e, pytest.mark.timeout(900)]

PER_OPERATION = int(os.environ.get("LEDGERMAIL_FUZZ_EXAMPLES", "12"))
EXAMPLES = {GenerationMode.POSITIVE: PER_OPERATION, GenerationMode.NEGATIVE: max(1, PER_OPERATION // 2)}
# Failures of endpoints another area is still building (issue #12 report lists them to their
# owners): reported as warnings, not failures, until they are fixed there.
KNOWN: dict[str, str] = {}  # label -> why a known contract failure is tolerated (none today)
CONTRACT = [not_a_server_error, openapi_checks.status_code_conformance,
            openapi_checks.content_type_conformance, openapi_checks.response_headers_conformance,
            openapi_checks.response_schema_conformance]


Fuzzed = tuple[Live, dict[str, Any], list[dict[str, str]]]


def refused(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schema-violating data gets a 4xx; 413 (an over-long value past the body limit) is one,
    although schemathesis' own list of expected codes leaves it out."""
    if response.status_code == 413:
        return True
    return openapi_checks.negative_data_rejection(ctx, response, case)


@pytest.fixture
def fuzzed(settings: Settings) -> Iterator[Fuzzed]:
    with live_server(settings) as live:
        console = Console(live)
        key = console.tenant("acme")
        console_key, _ = console.token(["admin-read", "publish", "broadcasts", "suppressions"])
        raw = live.call("GET", "/schema/openapi.json", None).json()
        who = [{"X-API-Token": ADMIN, "X-Tenant-Id": "acme"}, {"X-API-Token": key},
               {"X-API-Token": console_key}]
        yield live, with_bodies(raw, create_app(live.container)), who


def _run(operation: Any, mode: GenerationMode, base_url: str, who: list[dict[str, str]]) -> str | None:
    checks = [*CONTRACT, refused] if mode is GenerationMode.NEGATIVE else CONTRACT

    @settings(max_examples=EXAMPLES[mode], derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate],
              print_blob=False)
    @given(case=operation.as_strategy(generation_mode=mode), headers=st.sampled_from(who))
    def probe(case: Any, headers: dict[str, str]) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        case.validate_response(response, checks=checks, headers=headers)

    try:
        probe()
    except hypothesis.errors.Unsatisfiable:
        return None  # nothing in this operation can be made schema-invalid (negative mode)
    except (Exception, BaseExceptionGroup) as exc:  # collected, and reported below
        return describe(exc)
    return None


def describe(exc: BaseException) -> str:
    """The failure and, for a group (schemathesis failures, hypothesis' flaky reports), each
    exception in it: a flaky report alone says only that the first call failed."""
    parts = [str(exc)[:2000]]
    for inner in getattr(exc, "exceptions", ())[:3]:
        parts.append(f"  - {type(inner).__name__}: {describe(inner)[:1500]}")
    return "\n".join(parts)


def test_every_operation_keeps_its_contract(fuzzed: Fuzzed) -> None:
    live, raw, who = fuzzed
    schema = schemathesis.openapi.from_dict(raw)
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            problem = _run(operation, mode, live.base_url, who)
            if problem:
                failures[f"{operation.label} [{mode.value}]"] = problem
    assert operations >= 60, f"only {operations} operations in the schema"
    for label in sorted(set(failures) & set(KNOWN)):
        warnings.warn(f"known contract failure, {label}: {KNOWN[label]}", stacklevel=1)
        del failures[label]
    assert not failures, f"{len(failures)} operation(s) broke the contract:\n\n" + "\n\n".join(
        f"### {label}\n{text}" for label, text in failures.items())
