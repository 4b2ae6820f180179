"""Claiming what the shop recorded, in Debian's chromium (headless) driven by Playwright on a live workshop: a
customer registers an address first; staff then measure the walk-in customer under it on the dashboard's
Walk-in panel and print the claim code; the registration sees nothing until the customer types the code on
their account page, and then sees the measurements. The e-mailed link confirms an address from the same page.
Screenshots go to tests/e2e/artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from benchmarks.web import verification_token
from manufacturing.accounts.roles import Role
from tests.e2e.conftest import ARTIFACTS, PASSWORD, Workshop, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STAFF = "desk@workshop.example"


def _register(page: Page, base_url: str, email: str) -> None:
    """Through the sign-in page, as a person would: lands on the account page, the address unconfirmed."""
    page.goto(f"{base_url}/login/?next=/configurator/")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#register")
    page.click("#register")  # the second click creates it
    page.wait_for_url("**/login/account.html?next=*")
    expect(page.locator("body[data-started='true']")).to_be_attached()


def _errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_a_registrant_sees_the_walk_in_records_only_after_typing_the_claim_code(
    workshop: Workshop, browser: Browser
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    email = "walk-in@example.com"
    customer = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True).new_page()
    customer_errors = _errors(customer)
    _register(customer, workshop.url, email)  # registered before the shop records anything
    expect(customer.locator("#confirm")).to_be_visible()
    expect(customer.locator("#confirm-email")).to_have_text(email)
    expect(customer.locator("#records")).to_be_hidden()
    # The configurator sends an unconfirmed account back here: it could keep nothing.
    customer.goto(f"{workshop.url}/configurator/")
    customer.wait_for_url("**/login/account.html?next=*")

    # The shop measures the customer and prints the slip.
    password = workshop.account(STAFF, Role.STAFF)
    staff = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    staff_errors = _errors(staff)
    sign_in(staff, workshop.url, STAFF, password, "/staff/")
    expect(staff.locator("#panel-pairs")).to_have_attribute("data-loaded", "true", timeout=30_000)  # tabs wired
    staff.click("#tab-walkin")
    expect(staff.locator("#panel-walkin")).to_have_attribute("data-loaded", "true")
    staff.fill("#w-email", email)
    staff.select_option("#w-side", "left")
    staff.fill("#w-length", "262")
    staff.fill("#w-girth", "246")
    staff.click("#w-record")
    expect(staff.locator("#slip")).to_be_visible(timeout=60_000)
    code = staff.locator("#slip-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code), code
    expect(staff.locator("#slip-email")).to_have_text(email)
    expect(staff.locator("#slip-url")).to_have_text(f"{workshop.url}/login/account.html")
    scan_id = int(re.search(r"scan (\d+)", staff.locator("#walkin-state").inner_text()).group(1))
    staff.screenshot(path=ARTIFACTS / "claim-1-staff-slip.png")

    # Registered first, recorded after: still nothing without the code.
    customer.reload()
    expect(customer.locator("body[data-started='true']")).to_be_attached()
    expect(customer.locator("#records")).to_be_hidden()
    assert customer.request.get(f"{workshop.url}/api/scans/{scan_id}").status == 404
    customer.fill("#code", "ABCD-EFGH-JKMN")
    customer.click("#claim button[type=submit]")
    expect(customer.locator("#status")).to_contain_text("unknown, used or expired")
    expect(customer.locator("#records")).to_be_hidden()

    customer.fill("#code", code.lower().replace("-", " "))  # as a person might type it
    customer.click("#claim button[type=submit]")
    expect(customer.locator("#status")).to_contain_text("records for your address are yours")
    expect(customer.locator("#confirm")).to_be_hidden()
    expect(customer.locator("#scans li")).to_have_count(1)
    expect(customer.locator("#scans li")).to_contain_text("Left foot, 26")  # the measured length, mm
    expect(customer.locator("#designs li.none")).to_have_count(1)
    expect(customer.locator("#continue")).to_be_visible()
    assert customer.request.get(f"{workshop.url}/api/scans/{scan_id}").status == 200
    customer.screenshot(path=ARTIFACTS / "claim-2-account-phone.png")

    # The code worked once: the slip's address is an account's now, so a new slip is refused.
    staff.fill("#w-code-email", email)
    staff.click("#w-code")
    expect(staff.locator("#walkin-state")).to_contain_text("holds its records already")
    expect(staff.locator("#slip")).to_be_hidden()
    assert not customer_errors and not staff_errors, customer_errors + staff_errors
    customer.context.close()
    staff.context.close()


def test_the_emailed_link_confirms_the_address_on_the_account_page(workshop: Workshop, browser: Browser) -> None:
    email = "by-mail@example.com"
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    errors = _errors(page)
    _register(page, workshop.url, email)
    expect(page.locator("#confirm")).to_be_visible()
    token = verification_token(workshop.settings.var_dir / "outbox", email)
    page.goto(f"{workshop.url}/login/account.html?token={token}&next=/configurator/")
    expect(page.locator("#status")).to_contain_text(f"{email} is confirmed")
    assert "token" not in page.url  # wiped from the address bar once sent
    expect(page.locator("#confirm")).to_be_hidden()
    expect(page.locator("#scans li.none")).to_have_count(1)
    page.click("#continue")
    page.wait_for_url("**/configurator/")
    expect(page.locator("#account")).to_have_text(email)
    assert not errors, errors
    page.context.close()
