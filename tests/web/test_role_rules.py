"""Every route's role rule, checked by calling it: for each route of the app and each kind of caller
(signed out, customer, staff, pattern maker, administrator, cutting machine), the request is refused (401 or
403) exactly when the rule says so. A route missing from ``RULES`` fails the test, so a new route must be
given a rule. Path parameters are filled with values that exist nowhere: an admitted caller then gets 404 or
422, never 401/403."""

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from manufacturing.accounts.roles import Role
from manufacturing.db.migrate import upgrade
from manufacturing.settings import Settings
from tests.web.conftest import signed_in
from web.api.app import create_app

MACHINE_TOKEN = "cutter-7-secret-token"
CALLERS = ("anonymous", "customer", "staff", "pattern_maker", "admin", "machine")

# Who is admitted (everyone else gets 401 or 403).
PUBLIC = set(CALLERS)
SIGNED_IN = {"customer", "staff", "pattern_maker", "admin"}
CUSTOMER_SIDE = SIGNED_IN  # customers see their own records only (others' read as 404: test_auth.py)
ALL_DESIGNS = {"staff", "pattern_maker", "admin"}
PATTERNS = {"staff", "pattern_maker", "admin"}
SHOP_FLOOR = {"staff", "admin"}
ACCOUNTS = {"admin"}
MACHINES = {"machine"}

RULES: dict[tuple[str, str], set[str]] = {
    ("GET", "/api/health"): PUBLIC,
    ("GET", "/api/styles"): PUBLIC,
    ("POST", "/api/auth/register"): PUBLIC,
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/logout"): SIGNED_IN,
    ("GET", "/api/auth/me"): SIGNED_IN,
    ("POST", "/api/auth/verification"): SIGNED_IN,
    ("GET", "/api/auth/verify"): PUBLIC,  # the e-mailed link's token is the credential
    ("POST", "/api/auth/verify"): PUBLIC,
    ("POST", "/api/auth/claim"): {"customer"},
    ("GET", "/api/auth/records"): {"customer"},
    ("POST", "/api/auth/claim-codes"): ALL_DESIGNS,  # staff print a new slip for a walk-in customer
    ("GET", "/api/accounts"): ACCOUNTS,
    ("POST", "/api/accounts"): ACCOUNTS,
    ("POST", "/api/accounts/{email}/disable"): ACCOUNTS,
    ("POST", "/api/scans"): CUSTOMER_SIDE,
    ("POST", "/api/scans/typed"): CUSTOMER_SIDE,
    ("GET", "/api/scans/{scan_id}"): CUSTOMER_SIDE,
    ("GET", "/api/scans/{scan_id}/upload"): CUSTOMER_SIDE,
    ("POST", "/api/designs"): CUSTOMER_SIDE,
    ("GET", "/api/designs/{design_id}"): CUSTOMER_SIDE,
    ("GET", "/api/designs/{design_id}/preview.glb"): CUSTOMER_SIDE,
    ("POST", "/api/logos"): CUSTOMER_SIDE,
    ("GET", "/api/logos/{image_sha256}"): CUSTOMER_SIDE,
    ("POST", "/api/orders"): CUSTOMER_SIDE,
    ("GET", "/api/orders/{order_number}"): CUSTOMER_SIDE,
    ("GET", "/api/runs/{run_id}"): CUSTOMER_SIDE,
    ("GET", "/api/pairs/{serial}/progress"): CUSTOMER_SIDE,
    # The provenance of a pair is public: the QR code on its label opens it.
    ("GET", "/api/pairs/{serial}/ledger/verify"): PUBLIC,
    ("GET", "/api/pairs/{serial}/dpp"): PUBLIC,
    ("GET", "/api/pairs/{serial}/qr.svg"): PUBLIC,
    ("GET", "/api/artifacts/{artifact_id}"): ALL_DESIGNS,
    ("GET", "/api/artifacts/{artifact_id}/content"): ALL_DESIGNS,
    ("GET", "/api/orders/{order_number}/patterns"): PATTERNS,
    ("GET", "/api/orders/{order_number}/patterns/{kind}"): PATTERNS,
    ("GET", "/api/pairs"): PATTERNS,
    ("GET", "/api/pairs/summary"): PATTERNS,
    ("GET", "/api/pairs/{serial}/timeline"): SHOP_FLOOR,
    ("POST", "/api/pairs/{serial}/fit-feedback"): CUSTOMER_SIDE,
    ("GET", "/api/pairs/{serial}/fit-feedback"): CUSTOMER_SIDE,
    ("GET", "/api/feedback/styles"): PATTERNS,
    ("GET", "/api/feedback/styles/{style}"): PATTERNS,
    ("GET", "/api/orders/{order_number}/lasts"): PATTERNS,
    ("POST", "/api/orders/{order_number}/size-runs"): PATTERNS,
    ("GET", "/api/planning/schedule"): SHOP_FLOOR,
    ("POST", "/api/planning/schedule"): SHOP_FLOOR,
    ("GET", "/api/planning/queues"): SHOP_FLOOR,
    ("GET", "/api/qc/templates"): SHOP_FLOOR,
    ("GET", "/api/qc/templates/{checkpoint}"): SHOP_FLOOR,
    ("POST", "/api/qc/inspections"): SHOP_FLOOR,
    ("GET", "/api/qc/inspections"): SHOP_FLOOR,
    ("GET", "/api/qc/inspections/{inspection_id}"): SHOP_FLOOR,
    ("POST", "/api/qc/inspections/{inspection_id}/results"): SHOP_FLOOR,
    ("GET", "/api/qc/rework"): SHOP_FLOOR,
    ("GET", "/api/qc/metrics"): SHOP_FLOOR,
    ("GET", "/api/kpis"): SHOP_FLOOR,
    ("POST", "/api/tracking/events"): SHOP_FLOOR,
    ("GET", "/api/tracking/alerts"): SHOP_FLOOR,
    ("GET", "/api/inventory/stock"): SHOP_FLOOR,
    ("GET", "/api/inventory/lots"): SHOP_FLOOR,
    ("POST", "/api/inventory/lots"): SHOP_FLOOR,
    ("GET", "/api/inventory/lots/{lot_id}"): SHOP_FLOOR,
    ("POST", "/api/inventory/lots/{lot_id}/adjust"): SHOP_FLOOR,
    ("GET", "/api/inventory/movements"): SHOP_FLOOR,
    ("GET", "/api/inventory/reorder"): SHOP_FLOOR,
    ("GET", "/api/inventory/purchase-suggestions"): SHOP_FLOOR,
    ("GET", "/api/inventory/purchase-orders"): SHOP_FLOOR,
    ("POST", "/api/inventory/purchase-orders"): SHOP_FLOOR,
    ("GET", "/api/inventory/purchase-orders/{number}"): SHOP_FLOOR,
    ("POST", "/api/inventory/purchase-orders/{number}/receive"): SHOP_FLOOR,
    ("POST", "/api/inventory/purchase-orders/{number}/cancel"): SHOP_FLOOR,
    ("GET", "/api/inventory/shortages"): SHOP_FLOOR,
    ("POST", "/api/jobs/claim"): MACHINES,
    ("GET", "/api/jobs"): MACHINES,
    ("GET", "/api/jobs/{job_id}"): MACHINES,
    ("POST", "/api/jobs/{job_id}/claim"): MACHINES,
    ("POST", "/api/jobs/{job_id}/heartbeat"): MACHINES,
    ("POST", "/api/jobs/{job_id}/start"): MACHINES,
    ("POST", "/api/jobs/{job_id}/complete"): MACHINES,
    ("POST", "/api/jobs/{job_id}/fail"): MACHINES,
    ("GET", "/api/jobs/{job_id}/files/{kind}"): MACHINES,
}


@pytest.fixture
def app_and_callers(settings: Settings) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    settings = settings.model_copy(update={"machine_tokens": SecretStr(f"cutter-7:{MACHINE_TOKEN}")})
    upgrade(settings.resolved_database_url)
    app = create_app(settings)
    callers = {"anonymous": {}, "machine": {"Authorization": f"Bearer {MACHINE_TOKEN}"}}
    for role in (Role.CUSTOMER, Role.STAFF, Role.PATTERN_MAKER, Role.ADMIN):
        callers[role.value] = signed_in(app, f"{role.value}@example.com", role)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, callers
    app.state.resources.engine.dispose()


def _api_routes(client: TestClient) -> list[tuple[str, str]]:
    # From the OpenAPI document: every API route is documented (a test in test_api.py serves it).
    paths = client.app.openapi()["paths"]
    return sorted((method.upper(), path) for path, item in paths.items() if path.startswith("/api/") for method in item)


def _concrete(path: str) -> str:
    # Ids and names that exist nowhere (integers where the route wants one).
    return re.sub(r"\{(\w+)\}", lambda m: "999999" if m.group(1).endswith("_id") else "nowhere", path)


def test_every_route_has_a_rule(app_and_callers) -> None:
    client, _ = app_and_callers
    missing = [route for route in _api_routes(client) if route not in RULES]
    assert not missing, f"routes without a role rule: {missing}"
    stale = [route for route in RULES if route not in _api_routes(client)]
    assert not stale, f"rules for routes that do not exist: {stale}"


def test_each_caller_is_refused_exactly_where_the_rule_says(app_and_callers) -> None:
    client, callers = app_and_callers
    wrong = []
    # Logging out ends the caller's sessions: it goes last.
    routes = sorted(_api_routes(client), key=lambda r: r == ("POST", "/api/auth/logout"))
    for method, path in routes:
        for caller in CALLERS:
            response = client.request(method, _concrete(path), headers=callers[caller])
            refused = response.status_code in (401, 403)
            admitted = caller in RULES[(method, path)]
            if refused == admitted:
                wrong.append(f"{method} {path} as {caller}: {response.status_code} {response.text[:120]}")
    assert not wrong, "\n".join(wrong)
