"""The DMARC page in a real browser (issue #13): upload a report through the page and see its
domain, its alignment chart and its sources; tag a source; a hostile file shows the API's reason."""

from __future__ import annotations

import gzip
import time
from pathlib import Path
from typing import Any

import pytest

from tests.corpus.dmarc.corpus_xml import Record, report
from tests.support.live import Live
from tests.ui.conftest import shot
from tests.ui.test_console_ui import sign_in

pytestmark = [pytest.mark.ui, pytest.mark.e2e]
CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "dmarc"


def fresh_report(path: Path) -> Path:
    """A report of yesterday (the page's series and sources cover recent days only)."""
    end = int(time.time()) - 3600
    rows = [Record("149.72.45.10", 480, "pass", "pass"), Record("198.51.100.7", 20, "fail", "fail")]
    xml = report("google.com", "noreply-dmarc-support@google.com", "ui-report-1", end - 86_400, end, rows,
                 p="none", domain="ui.acme.test", style="google")
    path.write_bytes(gzip.compress(xml))
    return path


def test_upload_a_report_and_see_its_domain(console: tuple[Live, Any], page: Any, tmp_path: Path) -> None:
    live, _ = console
    live.create_tenant("acme")
    sign_in(page, live)
    page.get_by_role("link", name="DMARC").click()
    page.wait_for_url("**/admin#/dmarc")
    form = page.locator("#dmarc-upload")
    form.get_by_label("Report file").set_input_files(str(fresh_report(tmp_path / "google.com!ui.xml.gz")))
    form.get_by_role("button", name="Upload report").click()
    page.locator("#dmarc-upload-result", has_text="Ingested: google.com report ui-report-1").wait_for()
    row = page.locator("#dmarc-domains tr", has_text="ui.acme.test")
    row.wait_for()
    assert "96.0 %" in row.inner_text() and "needs 30 reports" in row.inner_text()
    assert page.locator("#dmarc-domains svg.chart rect").count() >= 1  # yesterday's (or today's) bar
    source = page.locator("#dmarc-sources tr", has_text="198.51.100.7")
    assert "untagged" in source.inner_text()
    page.once("dialog", lambda dialog: dialog.accept("Forwarder"))
    source.get_by_role("button", name="Tag known").click()
    page.locator("#dmarc-sources tr", has_text="Forwarder · db").wait_for()
    shot(page, "dmarc")
    form.get_by_label("Report file").set_input_files(str(CORPUS / "hostile-xxe-file.xml"))
    form.get_by_role("button", name="Upload report").click()
    page.locator("#alert", has_text="DOCTYPE").wait_for()
    assert "ingest_failed" in page.locator("#alert").inner_text()


@pytest.mark.parametrize("page", [390], indirect=True)
def test_the_dmarc_page_fits_a_phone(console: tuple[Live, Any], page: Any, tmp_path: Path) -> None:
    live, _ = console
    live.create_tenant("acme")
    sign_in(page, live)
    page.goto(f"{live.base_url}/admin#/dmarc")
    upload = page.locator("#dmarc-upload").get_by_label("Report file")
    upload.set_input_files(str(fresh_report(tmp_path / "r.xml.gz")))
    page.get_by_role("button", name="Upload report").click()
    page.locator("#dmarc-domains tr", has_text="ui.acme.test").wait_for()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the DMARC page scrolls sideways by {overflow}px"
    shot(page, "phone-dmarc")
