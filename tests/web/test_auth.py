"""Signing in over HTTP: registration, login (bearer and cookie), the rate limit, logout, customers seeing only
their own scans, designs, orders and pairs, the accounts API, and tokens of one kind refused by the other."""

import json

from fastapi.testclient import TestClient

from manufacturing.accounts.roles import Role
from tests.lasts.last_samples import FIND_LIKE
from tests.web.conftest import PASSWORD, bearer, make_account, signed_in
from web.api.auth import SESSION_COOKIE

LAST = FIND_LIKE.with_values(side="right").to_dict()
DERBY = {"style": "derby"}


def test_a_customer_registers_and_is_signed_in_by_cookie_and_by_token(anonymous: TestClient) -> None:
    registration = {"email": "Walker@Example.com", "password": PASSWORD, "name": "W. Alker"}
    response = anonymous.post("/api/auth/register", json=registration)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["account"]["email"] == "walker@example.com" and body["account"]["role"] == "customer"
    cookie = response.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert anonymous.get("/api/auth/me").json()["email"] == "walker@example.com"  # the cookie
    anonymous.cookies.clear()
    assert anonymous.get("/api/auth/me").status_code == 401
    me = anonymous.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["customer_id"] == body["account"]["customer_id"]
    again = anonymous.post("/api/auth/register", json={"email": "walker@example.com", "password": PASSWORD})
    assert again.status_code == 409 and again.json()["code"] == "account_exists"
    weak = anonymous.post("/api/auth/register", json={"email": "new@example.com", "password": "short"})
    assert weak.status_code == 422 and weak.json()["code"] == "weak_password"


def test_wrong_passwords_are_401_and_the_sixth_try_is_429_with_retry_after(anonymous: TestClient) -> None:
    make_account(anonymous.app, "floor@example.com", Role.STAFF)
    for _ in range(5):
        wrong = anonymous.post("/api/auth/login", json={"email": "floor@example.com", "password": "guess guess"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
        assert wrong.json()["detail"] == "wrong e-mail address or password"
    locked = anonymous.post("/api/auth/login", json={"email": "floor@example.com", "password": PASSWORD})
    assert locked.status_code == 429 and locked.json()["code"] == "too_many_login_attempts"
    assert 890 <= int(locked.headers["retry-after"]) <= 900
    other = anonymous.post("/api/auth/login", json={"email": "nobody@example.com", "password": PASSWORD})
    assert other.status_code == 401  # the lock is per address (and per client after 20 failures)


def test_logout_ends_every_session_of_the_account(anonymous: TestClient) -> None:
    make_account(anonymous.app, "floor@example.com", Role.STAFF)
    first = anonymous.post("/api/auth/login", json={"email": "floor@example.com", "password": PASSWORD}).json()
    second = anonymous.post("/api/auth/login", json={"email": "floor@example.com", "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {first['token']}"}
    assert anonymous.post("/api/auth/logout", headers=headers).status_code == 204
    for token in (first["token"], second["token"]):
        assert anonymous.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_forged_tampered_and_machine_tokens_open_nothing_but_their_own_door(client: TestClient) -> None:
    app = client.app
    good = bearer(app, make_account(app, "floor@example.com", Role.STAFF))["Authorization"]
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    for value in (tampered, "Bearer not-a-token", "Bearer "):
        response = client.get("/api/auth/me", headers={"Authorization": value})
        assert response.status_code == 401, value
    # A session token is not a machine token: the job endpoints refuse it.
    assert client.post("/api/jobs/claim", headers={"Authorization": good}).status_code == 401


def test_a_cookie_session_refuses_writes_from_another_origin(anonymous: TestClient) -> None:
    make_account(anonymous.app, "floor@example.com", Role.STAFF)
    anonymous.post("/api/auth/login", json={"email": "floor@example.com", "password": PASSWORD})
    evil = anonymous.post("/api/auth/logout", headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    same = anonymous.post("/api/auth/logout", headers={"Origin": "http://testserver"})
    assert same.status_code == 204


def test_customers_see_only_their_own_designs_scans_orders_and_pairs(
    anonymous: TestClient, find_template_bytes: bytes
) -> None:
    app = anonymous.app
    alice = signed_in(app, "alice@example.com", Role.CUSTOMER)
    bob = signed_in(app, "bob@example.com", Role.CUSTOMER)
    staff = signed_in(app, "floor@example.com", Role.STAFF)

    design = anonymous.post("/api/designs", json={"options": DERBY, "last": LAST}, headers=alice)
    assert design.status_code == 201, design.text
    design_id = design.json()["id"]
    for path in (f"/api/designs/{design_id}", f"/api/designs/{design_id}/preview.glb"):
        assert anonymous.get(path).status_code == 401
        assert anonymous.get(path, headers=bob).status_code == 404, path
        assert anonymous.get(path, headers=staff).status_code == 200, path
    assert anonymous.get(f"/api/designs/{design_id}", headers=alice).status_code == 200
    as_bob = anonymous.post("/api/designs", headers=alice,
                            json={"options": DERBY, "last": LAST, "email": "bob@example.com"})  # fmt: skip
    assert as_bob.status_code == 403
    revise = anonymous.post("/api/designs", headers=bob, json={"options": DERBY, "last": LAST, "revises": design_id})
    assert revise.status_code == 404

    order = anonymous.post("/api/orders", headers=alice, files={"scan": ("foot.obj", find_template_bytes)},
                           data={"options": json.dumps(DERBY)})  # fmt: skip
    assert order.status_code == 201, order.text
    placed = order.json()
    serial = placed["pair_serials"][0]
    for path in (f"/api/orders/{placed['order_number']}", f"/api/runs/{placed['run_ids'][0]}",
                 f"/api/scans/{placed['foot_scan_id']}", f"/api/scans/{placed['foot_scan_id']}/upload",
                 f"/api/pairs/{serial}/progress"):  # fmt: skip
        assert anonymous.get(path, headers=bob).status_code == 404, path
        assert anonymous.get(path, headers=alice).status_code == 200, path
        assert anonymous.get(path, headers=staff).status_code == 200, path
    upload = anonymous.get(f"/api/scans/{placed['foot_scan_id']}/upload", headers=alice)
    assert upload.content == find_template_bytes
    # Cutting files and raw artifacts are the workshop's, not the customer's.
    assert anonymous.get(f"/api/orders/{placed['order_number']}/patterns", headers=alice).status_code == 403
    assert anonymous.get("/api/artifacts/1", headers=alice).status_code == 403
    # The provenance of a pair is public: anyone holding the label can check it.
    assert anonymous.get(f"/api/pairs/{serial}/ledger/verify").status_code == 200
    assert anonymous.get(f"/api/pairs/{serial}/qr.svg").status_code == 200


def test_a_saved_design_is_ordered_by_id(client: TestClient, find_template_bytes: bytes) -> None:
    app = client.app
    alice = signed_in(app, "alice@example.com", Role.CUSTOMER)
    scan = client.post("/api/scans", headers=alice, files={"scan": ("foot.obj", find_template_bytes)})
    assert scan.status_code == 201, scan.text
    design = client.post("/api/designs", headers=alice,
                         json={"options": DERBY, "foot_scan_id": scan.json()["id"]}).json()  # fmt: skip
    order = client.post("/api/orders", headers=alice, data={"design_id": str(design["id"]), "pairs": "2"})
    assert order.status_code == 201, order.text
    placed = order.json()
    assert placed["design_id"] == design["id"] and placed["foot_scan_id"] == scan.json()["id"]
    assert len(placed["pair_serials"]) == 2
    from_last = client.post("/api/designs", headers=alice, json={"options": DERBY, "last": LAST}).json()
    no_scan = client.post("/api/orders", headers=alice, data={"design_id": str(from_last["id"])})
    assert no_scan.status_code == 409 and "no foot scan" in no_scan.json()["detail"]
    bob = signed_in(app, "bob@example.com", Role.CUSTOMER)
    assert client.post("/api/orders", headers=bob, data={"design_id": str(design["id"])}).status_code == 404
    both = client.post("/api/orders", headers=alice, data={"design_id": str(design["id"])},
                       files={"scan": ("foot.obj", find_template_bytes)})  # fmt: skip
    assert both.status_code == 422


def test_only_administrators_manage_accounts(client: TestClient) -> None:
    made = client.post("/api/accounts", json={"email": "cutter@example.com", "password": PASSWORD,
                                              "role": "pattern_maker"})  # fmt: skip
    assert made.status_code == 201 and made.json()["role"] == "pattern_maker"
    assert "cutter@example.com" in [a["email"] for a in client.get("/api/accounts").json()]
    staff = signed_in(client.app, "floor@example.com", Role.STAFF)
    assert client.get("/api/accounts", headers=staff).status_code == 403
    assert client.post("/api/accounts/cutter@example.com/disable").status_code == 204
    login = client.post("/api/auth/login", json={"email": "cutter@example.com", "password": PASSWORD})
    assert login.status_code == 401
