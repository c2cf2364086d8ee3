"""The DNSBL page in a real browser: lists, a recheck against a loopback DNS server, the
verdicts it found (with a screenshot)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.settings import Settings
from tests.support.dns_server import DnsServer, dns_server
from tests.support.live import ADMIN, Live, live_server
from tests.ui.conftest import shot
from tests.ui.test_console_ui import sign_in

pytestmark = [pytest.mark.ui, pytest.mark.e2e]


@pytest.fixture
def dnsbl_live(tmp_path: Path) -> Iterator[tuple[Live, DnsServer]]:
    with dns_server() as dns:
        settings = Settings.from_env({}, data_dir=tmp_path / "data", projection_poll_seconds=0.05,
                                     dns_resolver=dns.address, dns_timeout_s=0.3)
        with live_server(settings) as live:
            yield live, dns


def test_recheck_shows_listed_and_clean_targets(dnsbl_live: tuple[Live, DnsServer], page: Any) -> None:
    live, dns = dnsbl_live
    live.create_tenant("acme")
    patched = live.call("PATCH", "/admin/api/settings", ADMIN, headers={"X-Tenant-Id": "acme"}, json={
        "senderDomains": {"news.acme.test": "marketing"},
        "dnsbl": {"lists": [{"zone": "dbl.test", "type": "domain", "label": "Test DBL"},
                            {"zone": "ip.test", "type": "ip"}], "dedicatedIps": ["203.0.113.5"]}})
    assert patched.status_code == 200, patched.text
    dns.answer("acme.test.dbl.test", "127.0.1.5")
    sign_in(page, live)
    page.get_by_role("link", name="DNSBL").click()
    page.wait_for_url("**/admin#/dnsbl")
    page.locator("#dnsbl-summary", has_text="0 checks").wait_for()
    page.get_by_role("button", name="Recheck now").click()
    page.locator("#dnsbl-result", has_text="Checked 2: 1 listed, 0 errors").wait_for()
    listed = page.locator("#dnsbl-checks tr", has_text="acme.test")
    listed.locator(".status.listed").wait_for()
    assert "127.0.1.5" in listed.inner_text() and "Test DBL" in listed.inner_text()
    page.locator("#dnsbl-checks tr", has_text="203.0.113.5").locator(".status.clean").wait_for()
    page.locator("#dnsbl-lists summary").click()
    assert "dbl.test" in page.locator("#dnsbl-lists").inner_text()
    shot(page, "dnsbl")
