"""The customer's whole flow in the configurator, in Debian's chromium (headless) driven by Playwright:
the FIND foot → style → colours → logo → order → tracking page, with screenshots in tests/e2e/artifacts/."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from benchmarks.web import READY, running_app, verification_token
from tests.e2e.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "customer@example.com"


def _png_logo(path: Path, size: int = 64) -> Path:
    """A small two-colour PNG logo (a ring), written without an image library."""
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            r = ((x - size / 2) ** 2 + (y - size / 2) ** 2) ** 0.5
            row += bytes((230, 190, 40, 255)) if size * 0.25 < r < size * 0.45 else bytes((0, 0, 0, 0))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("app") / "var"


@pytest.fixture(scope="module")
def base_url(var_dir: Path) -> Iterator[str]:
    with running_app(var_dir) as url:
        yield url


def _confirm_address(page: Page, base_url: str, var_dir: Path, email: str) -> None:
    """A new registration lands on its account page; the link mailed to the address (the app's folder outbox)
    confirms it, and the page leads on to the configurator."""
    page.wait_for_url("**/login/account.html?next=*")
    token = verification_token(var_dir / "outbox", email)
    page.goto(f"{base_url}/login/account.html?token={token}&next=/configurator/")
    expect(page.locator("#status")).to_contain_text("is confirmed")
    page.click("#continue")
    page.wait_for_url("**/configurator/")


def _centre_pixel_is_not_background(page: Page) -> bool:
    """Some pixel of the canvas' middle band differs from the scene's background (the shoe was drawn)."""
    return bool(
        page.evaluate("""() => {
      const canvas = document.getElementById("view");
      const gl = canvas.getContext("webgl2") || canvas.getContext("webgl");
      const w = gl.drawingBufferWidth, h = gl.drawingBufferHeight;
      const px = new Uint8Array(w * 4);
      gl.readPixels(0, Math.floor(h / 2), w, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
      for (let i = 0; i < px.length; i += 4) {
        if (Math.abs(px[i] - 0xee) + Math.abs(px[i + 1] - 0xf0) + Math.abs(px[i + 2] - 0xf2) > 40) return true;
      }
      return false;
    }""")
    )


def test_the_customer_designs_orders_and_tracks_a_pair(
    base_url: str, var_dir: Path, browser: Browser, find_template_path: Path, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base_url}/configurator/")

    # 0. not signed in: sent to the sign-in page, registers, confirms the address by the e-mailed link, and comes
    # back to the configurator
    page.wait_for_url("**/login/?next=*")
    page.fill("#email", EMAIL)
    page.fill("#password", "correct horse battery")
    page.click("#register")
    page.click("#register")
    _confirm_address(page, base_url, var_dir, EMAIL)
    expect(page.locator("#account")).to_have_text(EMAIL)
    expect(page.locator(".style")).to_have_count(5)

    # 1. the shared FIND foot: measured by the app, its measurements shown
    page.set_input_files("#scan", str(find_template_path))
    expect(page.locator("#measurements")).to_contain_text("Length", timeout=30_000)
    expect(page.locator("#measurements")).to_contain_text("256.8 mm")

    # 2. a style: a design revision and its GLB drawn on the canvas
    page.click(".style[data-style='derby']")
    expect(page.locator(READY)).to_be_attached(timeout=30_000)
    assert _centre_pixel_is_not_background(page)
    expect(page.locator("#price")).to_contain_text("EUR")
    expect(page.locator("#eta")).to_contain_text("days")
    page.screenshot(path=ARTIFACTS / "1-style-phone.png")

    # 3. colours: applied to the loaded GLB at once (no request), measured in the page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    elapsed_ms = page.evaluate("""() => {
      const input = document.querySelector(".piece[data-piece='vamp'] input[type='color']");
      const t0 = performance.now();
      input.value = "#1d4e89";
      input.dispatchEvent(new Event("input", { bubbles: true }));
      return performance.now() - t0;
    }""")
    # Applied in the page without a request; the 100 ms budget is `cspms bench web`'s figure (software
    # rendering on a busy CI machine varies too much to gate a test on it).
    assert elapsed_ms <= 1000, f"colour change took {elapsed_ms:.1f} ms"
    assert not requests, f"a colour change made requests: {requests}"
    vamp = page.evaluate("window.cspms.state.choices.vamp.colour")
    assert vamp == "#1d4e89"
    page.locator(".piece[data-piece='vamp'] input[type='color']").dispatch_event("change")

    # 4. a logo on the outside quarter
    page.set_input_files("#logo", str(_png_logo(tmp_path / "logo.png")))
    expect(page.locator("canvas#view[data-logo='true']")).to_be_attached()
    page.check("#memory-foam")
    page.check("#hand-stitching")
    # the options are re-priced as a new revision of the same design
    expect(page.locator("#status")).to_contain_text("revision 2", timeout=30_000)
    expect(page.locator("#order")).to_be_enabled()
    page.locator("#summary").scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "2-colours-logo-phone.png")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.wait_for_timeout(200)
    page.screenshot(path=ARTIFACTS / "3-configurator-desktop.png")

    # the logo is stored with the design (the workshop needs the image), not only drawn in the page
    logo_sha = page.evaluate("window.cspms.state.design.options.logo.image_sha256")
    stored_logo = page.request.get(f"{base_url}/api/logos/{logo_sha}")
    assert stored_logo.status == 200 and stored_logo.headers["content-type"] == "image/png"

    # 5. the order, then its tracking page
    page.click("#order")
    page.wait_for_url("**/track/?order=*", timeout=30_000)
    number = page.url.split("order=")[1]
    expect(page.locator("#order-number")).to_have_text(number)
    expect(page.locator(".pair")).to_have_count(1)
    expect(page.locator(".stages li[data-stage='scan.measure']")).to_be_attached()
    # The embedded worker runs the pipeline: the scan (measured already by the page's upload) is reused.
    expect(page.locator(".stages li[data-stage='scan.measure']")).to_have_attribute(
        "data-state", "reused", timeout=60_000
    )
    # the workshop line (its work order, released by the last stage) and the label's QR code
    expect(page.locator(".work-order[data-state]")).to_contain_text("operations done", timeout=60_000)
    expect(page.locator(".workshop img")).to_have_js_property("complete", True)
    assert page.locator(".workshop img").evaluate("img => img.naturalWidth") > 0
    page.screenshot(path=ARTIFACTS / "4-tracking-desktop.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=ARTIFACTS / "5-tracking-phone.png", full_page=True)
    # 6. the provenance page the QR code opens (public: a signed-out visitor sees it too)
    serial = page.locator(".pair").get_attribute("data-serial")
    page.click(".workshop a")
    page.wait_for_url(f"**/pairs/{serial}/provenance")
    expect(page.locator("#verdict")).to_have_attribute("data-ok", "true")
    page.screenshot(path=ARTIFACTS / "6-provenance-phone.png", full_page=True)
    order = page.request.get(f"{base_url}/api/orders/{number}").json()
    assert order["order_number"] == number
    assert errors == []
    context.close()


def test_a_customer_without_a_scan_types_measurements_and_sees_the_shoe(
    base_url: str, var_dir: Path, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base_url}/login/?next=/configurator/")
    page.fill("#email", "typed@example.com")
    page.fill("#password", "correct horse battery")
    page.click("#register")
    page.click("#register")
    _confirm_address(page, base_url, var_dir, "typed@example.com")
    page.click("#typed summary")
    page.select_option("#typed-side", "left")
    page.fill("#typed-length", "248")
    page.fill("#typed-girth", "236")
    page.click("#typed-use")
    expect(page.locator("#measurements")).to_contain_text("248.0 mm", timeout=30_000)
    expect(page.locator("#measurements")).to_contain_text("left")
    page.click(".style[data-style='low_top_sneaker']")
    expect(page.locator(READY)).to_be_attached(timeout=30_000)
    assert _centre_pixel_is_not_background(page)
    page.screenshot(path=ARTIFACTS / "7-typed-measurements-phone.png")
    page.fill("#typed-girth", "120")  # a girth no 248 mm foot has: a clear message, the design stays
    page.click("#typed-use")
    expect(page.locator("#status")).to_contain_text("does not go with a foot 248 mm long")
    assert errors == []
    context.close()
