"""Shared browser-test fixtures: Debian's chromium (headless) through Playwright, and a live workshop: the app
served by ``cspms serve`` with its embedded worker, an administrator's API client, and accounts for the people
who sign in to the pages. Screenshots go to ``ARTIFACTS``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchmarks.web import CHROMIUM, launch_chromium, running_app
from manufacturing.accounts.roles import Role
from manufacturing.accounts.service import add_account
from manufacturing.db.session import make_engine, make_session_factory, session_scope
from manufacturing.settings import Settings

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PASSWORD = "correct horse battery staple"
ADMIN = "admin@workshop.example"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless (Playwright's own browsers are not downloaded here)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make install-test does)")
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


@dataclass
class Workshop:
    url: str
    api: httpx.Client  # signed in as an administrator
    settings: Settings

    def account(self, email: str, role: Role) -> str:
        """A real account in the served database; its password."""
        engine = make_engine(self.settings.resolved_database_url)
        try:
            with session_scope(make_session_factory(engine)) as session:
                add_account(session, email, PASSWORD, role)
        finally:
            engine.dispose()
        return PASSWORD

    def finished_order(
        self, scan: bytes, style: str = "derby", pairs: int = 1, timeout_s: float = 180.0
    ) -> dict[str, Any]:
        """An order placed over HTTP whose pipelines the server's worker has run to the end."""
        from tests.web.floor import place_order

        placed = place_order(self.api, scan, style=style, pairs=pairs)
        deadline = time.monotonic() + timeout_s
        while True:
            order = self.api.get(f"/api/orders/{placed['order_number']}").json()
            states = [pair["runs"][-1]["state"] for pair in order["pairs"]]
            if all(state in ("succeeded", "failed") for state in states):
                assert set(states) == {"succeeded"}, order
                return placed
            if time.monotonic() > deadline:
                pytest.fail(f"order {placed['order_number']} did not finish in {timeout_s} s: {states}")
            time.sleep(0.5)


@pytest.fixture(scope="session")
def workshop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workshop]:
    var_dir = tmp_path_factory.mktemp("workshop") / "var"
    with running_app(var_dir) as url:
        workshop = Workshop(url, httpx.Client(base_url=url, timeout=120.0), Settings(var_dir=var_dir))
        workshop.account(ADMIN, Role.ADMIN)
        login = workshop.api.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
        assert login.status_code == 200, login.text
        workshop.api.headers["Authorization"] = f"Bearer {login.json()['token']}"
        yield workshop
        workshop.api.close()


def sign_in(page: Any, base_url: str, email: str, password: str, next_path: str) -> None:
    """Through the sign-in page, as a person would; lands on ``next_path``."""
    page.goto(f"{base_url}/login/?next={next_path}")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_url(f"**{next_path}*")
