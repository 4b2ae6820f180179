"""``cspms bench web``: the configurator page's figures, measured in Debian's chromium driven by Playwright.

The app runs in a subprocess (``cspms serve`` on a free port, its own var folder); the page measures itself
with ``performance.now()`` (``window.cspms.timings``, web/static/configurator/app.js). Figures and budgets
(issue #10): first 3D render ≤ 2 s, colour change ≤ 100 ms, new style or size → new preview ≤ 1.5 s,
GLB ≤ 2 MB.
"""

from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from email import message_from_bytes, policy
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.brokers import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = Path(os.environ.get("CSPMS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking"]
BUDGETS = {"first_render_ms": 2000.0, "colour_change_ms": 100.0, "new_preview_ms": 1500.0, "glb_bytes": 2_000_000}
READY = "canvas#view[data-ready='true']"


@contextmanager
def running_app(var_dir: Path, *, embedded_worker: bool = True, timeout_s: float = 60.0,
                env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Serve the app (``cspms serve``) on a free localhost port with its own var folder, plus ``env``'s settings;
    yields its base URL."""
    port = free_port()
    env = {**os.environ, "CSPMS_VAR_DIR": str(var_dir), "CSPMS_BROKER_POLL_SECONDS": "0.1", **(env or {})}
    command = [sys.executable, "-m", "web.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if not embedded_worker:
        command.append("--no-embedded-worker")
    log = (var_dir.parent / f"{var_dir.name}-server.log").open("wb")
    # Its own process group: if it has to be killed, its embedded worker goes with it.
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{base_url}/api/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the app did not start (see {log.name})") from None
                time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's chromium, headless (Playwright's own browsers are not downloaded here)."""
    if not CHROMIUM.is_file():
        raise FileNotFoundError(f"{CHROMIUM} is missing: apt-get install chromium (or set CSPMS_CHROMIUM)")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def verification_token(outbox: Path, email: str) -> str:
    """The token of the newest verification link mailed to ``email``, from a folder outbox (``<var_dir>/outbox``
    of an app without SMTP: manufacturing/accounts/outbox.py)."""
    for mail in sorted(outbox.glob("*.eml"), reverse=True):  # named by time: newest first
        message = message_from_bytes(mail.read_bytes(), policy=policy.default)
        body = message.get_body()
        found = re.search(r"\?token=(\S+)", body.get_content()) if body is not None else None
        if message["To"] == email and found:
            return found.group(1)
    raise RuntimeError(f"no verification mail to {email} in {outbox}")


def sign_up(page: Page, base_url: str, email: str, outbox: Path, password: str = "bench password 2026") -> None:
    """A customer account, signed in on the page's context (its session cookie), its address confirmed by the
    link mailed to ``outbox`` (until then it keeps nothing)."""
    response = page.request.post(f"{base_url}/api/auth/register", data={"email": email, "password": password})
    if not response.ok:
        raise RuntimeError(f"POST /api/auth/register: {response.status} {response.text()}")
    token = verification_token(outbox, email)
    verified = page.request.post(f"{base_url}/api/auth/verify", params={"token": token})
    if not verified.ok:
        raise RuntimeError(f"POST /api/auth/verify: {verified.status} {verified.text()}")


def make_design(page: Page, base_url: str, scan: Path, style: str) -> dict[str, Any]:
    """A measured scan and a design on it, through the API as the signed-in customer (not timed)."""
    scan_response = page.request.post(
        f"{base_url}/api/scans",
        multipart={"scan": {"name": scan.name, "mimeType": "application/octet-stream", "buffer": scan.read_bytes()}},
    )  # fmt: skip
    if not scan_response.ok:
        raise RuntimeError(f"POST /api/scans: {scan_response.status} {scan_response.text()}")
    options = {"style": style, "pieces": {}, "fit_preference": "regular"}
    body = {"options": options, "foot_scan_id": scan_response.json()["id"]}
    design = page.request.post(f"{base_url}/api/designs", data=body)
    if not design.ok:
        raise RuntimeError(f"POST /api/designs: {design.status} {design.text()}")
    result: dict[str, Any] = design.json()
    return result


def _summary(values: list[float], budget: float) -> dict[str, Any]:
    return {
        "median": round(statistics.median(values), 1),
        "max": round(max(values), 1),
        "runs": [round(v, 1) for v in values],
        "budget": budget,
        "meets_budget": max(values) <= budget,
    }


# The page's own clock: dispatch the colour input's `input` event (what a customer's drag does) and time until
# the recoloured frame has been drawn (recolour() reads a pixel back, so the GPU has finished).
_COLOUR_CHANGE_JS = """async (hexes) => {
  const input = document.querySelector(".piece[data-piece='vamp'] input[type='color']");
  const out = [];
  for (const hex of hexes) {
    const t0 = performance.now();
    input.value = hex;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    out.push(performance.now() - t0);
    await new Promise((r) => requestAnimationFrame(r));
  }
  return out;
}"""


def run_web_benchmark(base_url: str, browser: Browser, scan: Path, repeats: int, outbox: Path) -> dict[str, Any]:
    """Figures of the configurator on ``base_url`` (a running app, whose mail goes to the folder ``outbox``) in
    ``browser``."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_up(page, base_url, f"bench-{uuid.uuid4().hex[:8]}@example.com", outbox)
    design = make_design(page, base_url, scan, "derby")
    signed_in = context.storage_state()  # the session cookie, for the fresh contexts below
    context.close()

    first_render = []
    for _ in range(repeats):
        # A fresh context each time: nothing cached, as a customer opening the page.
        context = browser.new_context(viewport={"width": 1280, "height": 800}, storage_state=signed_in)
        page = context.new_page()
        page.goto(f"{base_url}/configurator/?design={design['id']}")
        page.wait_for_selector(READY, timeout=30_000)
        first_render.append(float(page.evaluate("window.cspms.timings.firstRenderMs")))
        context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 800}, storage_state=signed_in)
    page = context.new_page()
    page.goto(f"{base_url}/configurator/?design={design['id']}")
    page.wait_for_selector(READY, timeout=30_000)
    hexes = [f"#{(0x203040 + i * 0x0A0B0C) % 0xFFFFFF:06x}" for i in range(max(repeats, 5) * 4)]
    colour = [float(v) for v in page.evaluate(_COLOUR_CHANGE_JS, hexes)]

    new_preview: dict[str, list[float]] = {"style": [], "size": []}
    glb_bytes: dict[str, int] = {}
    styles = [s["name"] for s in page.evaluate("window.cspms.state.styles")]
    for style in [*styles, *styles][: max(repeats, len(styles))]:
        ms = page.evaluate("async (name) => { const t = performance.now(); await window.cspms.chooseStyle(name);"
                           " return performance.now() - t; }", style)  # fmt: skip
        new_preview["style"].append(float(ms))
        glb_bytes[style] = int(page.evaluate("window.cspms.timings.lastGlbBytes"))
    size = float(page.evaluate("window.cspms.state.sizeEu"))
    for i in range(repeats):
        target = size + (0.5 if i % 2 == 0 else 0.0)
        ms = page.evaluate("async (s) => { const t = performance.now(); await window.cspms.setSize(s);"
                           " return performance.now() - t; }", target)  # fmt: skip
        new_preview["size"].append(float(ms))
    context.close()

    report: dict[str, Any] = {
        "base_url": base_url,
        "browser": f"chromium {browser.version} (headless)",
        "repeats": repeats,
        "first_render_ms": _summary(first_render, BUDGETS["first_render_ms"]),
        "colour_change_ms": _summary(colour, BUDGETS["colour_change_ms"]),
        "new_preview_ms": {
            kind: _summary(values, BUDGETS["new_preview_ms"]) for kind, values in new_preview.items()
        },
        "glb_bytes": {"by_style": glb_bytes, "max": max(glb_bytes.values()), "budget": BUDGETS["glb_bytes"],
                      "meets_budget": max(glb_bytes.values()) <= BUDGETS["glb_bytes"]},
        "how": "first render: page navigation start to the first frame of the design's GLB (window.cspms.timings); "
        "colour change: the colour input's event to the redrawn frame, read back; new preview: choosing a style or "
        "a size to the new revision's GLB drawn (POST /api/designs + GET preview.glb + parse + draw)",
    }  # fmt: skip
    report["meets_targets"] = all(
        part["meets_budget"]
        for part in (report["first_render_ms"], report["colour_change_ms"], report["glb_bytes"],
                     *report["new_preview_ms"].values())
    )  # fmt: skip
    return report
