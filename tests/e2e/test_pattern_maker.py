"""The pattern-maker page in Debian's chromium (headless) driven by Playwright, on a live workshop: a real order
(the FIND foot through the server's pipeline), a pattern maker signed in. The page lists the pair's files and
they download as what they say (the ASTM DXF reads back with every piece of the report), shows each piece's strain
and the last's fit report with the API's numbers, and makes a size run whose DXF holds both sizes. Screenshots
(desktop and phone) go to tests/e2e/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from geometry.exchange.astm_dxf import read_astm_dxf
from manufacturing.accounts.roles import Role
from tests.e2e.conftest import ARTIFACTS, Workshop, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PATTERN_MAKER = "patterns@workshop.example"


@pytest.fixture(scope="module")
def order(workshop: Workshop, find_template_bytes: bytes) -> dict[str, Any]:
    return workshop.finished_order(find_template_bytes)


@pytest.fixture
def page(browser: Browser, workshop: Workshop) -> Iterator[Page]:
    """A pattern maker signed in on a desktop-sized window; page errors collected in ``page.errors``."""
    password = workshop.account(PATTERN_MAKER, Role.PATTERN_MAKER)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, device_scale_factor=1, accept_downloads=True)
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.errors.append(str(error)))  # type: ignore[attr-defined]
    sign_in(page, workshop.url, PATTERN_MAKER, password, "/patterns/")
    yield page
    context.close()


def download(page: Page, selector: str, folder: Path) -> Path:
    with page.expect_download() as started:
        page.click(selector)
    target = folder / started.value.suggested_filename
    started.value.save_as(target)
    return target


def test_the_pattern_maker_downloads_files_reads_strain_and_fit_and_makes_a_size_run(
    page: Page, workshop: Workshop, order: dict[str, Any], tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    number, serial = order["order_number"], order["pair_serials"][0]
    page.fill("#find-q", number)
    expect(page.locator("#found button")).to_have_count(1)
    page.click(f"#found button[data-serial='{serial}']")
    expect(page.locator("#design")).to_have_attribute("data-loaded", "true", timeout=30_000)
    expect(page.locator("#found button[aria-pressed='true']")).to_have_attribute("data-serial", serial)

    listing = workshop.api.get(f"/api/orders/{number}/patterns").json()["pairs"][0]
    report = workshop.api.get(next(f["url"] for f in listing["files"] if f["format"] == "report")).json()
    lasts = workshop.api.get(f"/api/orders/{number}/lasts").json()["pairs"][0]

    # Files: five formats per foot, each a link that downloads what it says.
    expect(page.locator("#files tbody a")).to_have_count(10)
    dxf = download(page, "#files a[data-format='dxf'][data-side='left']", tmp_path)
    read = read_astm_dxf(dxf.read_bytes(), dxf.name)
    assert sorted(p.name for p in read.pattern.pieces) == sorted(p["piece"] for p in report["left"]["pieces"])
    assert download(page, "#files a[data-format='plt'][data-side='right']", tmp_path).read_bytes().startswith(b"IN;")
    assert download(page, "#files a[data-format='pdf'][data-side='right']", tmp_path).read_bytes().startswith(b"%PDF")

    # Pieces and strain, right foot first, then the left.
    right = report["right"]["pieces"]
    expect(page.locator("#pieces tbody tr")).to_have_count(len(right))
    first = right[0]
    row = page.locator(f"#pieces tbody tr[data-piece='{first['piece']}']")
    expect(row).to_contain_text(f"{first['strain']['area_change_mean_pct']:.2f} %")
    maps = [f for f in listing["files"] if f["format"] == "strain" and f["side"] == "right"]
    expect(page.locator("#strain-maps img")).to_have_count(len(maps))
    page.locator("#strain-maps img").last.scroll_into_view_if_needed()
    for image in page.locator("#strain-maps img").all():
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
    expect(page.locator("#seams tbody tr")).to_have_count(max(1, len(report["right"]["seams"])))
    page.click(".sides button[data-side='left']")
    expect(page.locator("#pieces tbody tr")).to_have_count(len(report["left"]["pieces"]))
    page.click(".sides button[data-side='right']")

    # The fit report: the regions and the toe room of the last's record.
    fit = lasts["record"]["fit_report"]
    expect(page.locator("#fit-regions tbody tr")).to_have_count(len(fit["regions"]))
    expect(page.locator("#fit-summary")).to_contain_text(f"toe room {fit['toe_room_mm']:.1f} mm")
    expect(page.locator("#fit-targets tbody tr")).to_have_count(len(lasts["record"]["targets"]))
    expect(page.locator("#fit-map img")).to_have_js_property("complete", True)
    page.screenshot(path=ARTIFACTS / "patterns-1-pair-desktop.png", full_page=True)

    # A size run of two sizes: made on the server, listed, its DXF holding every piece of both sizes.
    page.fill("#run-sizes", "41,42")
    page.click("#run-make")
    expect(page.locator("#run-state")).to_have_attribute("data-state", "done", timeout=180_000)
    expect(page.locator("#run-files li")).to_have_count(6)
    expect(page.locator("#run-sizes-table tbody tr")).to_have_count(2)
    run_dxf = download(page, "#run-files a[data-format='dxf']", tmp_path)
    run = read_astm_dxf(run_dxf.read_bytes(), run_dxf.name)
    assert run.pattern.sizes == ("41", "42")
    per_size = {size: sum(p.size == size for p in run.pattern.pieces) for size in ("41", "42")}
    assert per_size["41"] == per_size["42"] >= len(right)
    page.locator("#run-sizes-table").scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "patterns-2-size-run-desktop.png", full_page=True)

    # The same page on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("#design")).to_have_attribute("data-loaded", "true", timeout=30_000)
    page.screenshot(path=ARTIFACTS / "patterns-3-phone.png", full_page=True)
    assert page.errors == []  # type: ignore[attr-defined]
