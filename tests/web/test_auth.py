"""Signing in over HTTP: registration, login (bearer and cookie), the rate limit, logout, customers seeing only
their own scans, designs, orders and pairs, the accounts API, tokens of one kind refused by the other, sessions
forged with the former built-in key refused, cookie writes only from configured origins, and records staff
made for an address reached only with proof (the e-mailed link or the walk-in's claim code)."""

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email import message_from_bytes, policy

from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer

from manufacturing.accounts.roles import Role
from manufacturing.db.migrate import upgrade
from manufacturing.settings import Settings
from tests.lasts.last_samples import FIND_LIKE
from tests.web.conftest import PASSWORD, bearer, make_account, signed_in
from web.api.app import create_app
from web.api.auth import SESSION_COOKIE, allowed_origins, normalised_origin

LAST = FIND_LIKE.with_values(side="right").to_dict()
DERBY = {"style": "derby"}


def test_a_customer_registers_and_is_signed_in_by_cookie_and_by_token(anonymous: TestClient) -> None:
    registration = {"email": "Walker@Example.com", "password": PASSWORD}
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
    assert me.status_code == 200 and me.json()["id"] == body["account"]["id"]
    assert me.json()["proof_needed"] and me.json()["customer_id"] is None  # nothing until the address is proven
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


@contextmanager
def _served(settings: Settings) -> Iterator[TestClient]:
    upgrade(settings.resolved_database_url)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.resources.engine.dispose()


def test_a_cookie_session_refuses_writes_from_another_origin(settings: Settings) -> None:
    with _served(settings.model_copy(update={"public_url": "http://testserver"})) as anonymous:
        make_account(anonymous.app, "floor@example.com", Role.STAFF)
        anonymous.post("/api/auth/login", json={"email": "floor@example.com", "password": PASSWORD})
        evil = anonymous.post("/api/auth/logout", headers={"Origin": "https://evil.example"})
        assert evil.status_code == 403
        same = anonymous.post("/api/auth/logout", headers={"Origin": "http://testserver"})
        assert same.status_code == 204


def test_the_origin_check_trusts_the_configured_origins_not_the_host_header(settings: Settings) -> None:
    shop = settings.model_copy(update={"public_url": "https://shop.example/", "allowed_origins":
                                       "https://staff.shop.example, http://kiosk.local:8080"})  # fmt: skip
    with _served(shop) as anonymous:
        make_account(anonymous.app, "floor@example.com", Role.STAFF)

        def cookie_write(headers: dict[str, str]) -> int:
            anonymous.post("/api/auth/login", json={"email": "floor@example.com", "password": PASSWORD})
            return anonymous.post("/api/auth/logout", headers=headers).status_code

        # The sender picks the Host header: an Origin matching it proves nothing.
        assert cookie_write({"Host": "evil.example", "Origin": "http://evil.example"}) == 403
        assert cookie_write({"Origin": "http://testserver"}) == 403  # the test client's own host, not configured
        assert cookie_write({"Origin": "null"}) == 403
        for origin in ("https://shop.example", "HTTPS://Shop.Example:443", "https://staff.shop.example",
                       "http://kiosk.local:8080"):  # fmt: skip
            assert cookie_write({"Host": "evil.example", "Origin": origin}) == 204, origin
        # Bearer tokens are not sent by browsers on their own: no Origin rule for them.
        token = anonymous.post("/api/auth/login", json={"email": "floor@example.com", "password": PASSWORD})
        anonymous.cookies.clear()
        bearer_write = anonymous.post(
            "/api/auth/logout",
            headers={"Origin": "https://evil.example", "Authorization": f"Bearer {token.json()['token']}"},
        )
        assert bearer_write.status_code == 204


def test_the_default_origins_follow_the_served_address() -> None:
    local = allowed_origins(Settings(host="127.0.0.1", port=8000))
    assert local == {"http://127.0.0.1:8000", "http://localhost:8000"}
    assert allowed_origins(Settings(host="0.0.0.0", port=9000)) == {"http://127.0.0.1:9000", "http://localhost:9000"}
    assert allowed_origins(Settings(host="shop.example", port=80)) == {"http://shop.example"}
    assert allowed_origins(Settings(public_url="https://shop.example/app", host="10.0.0.5")) == {"https://shop.example"}
    assert normalised_origin("not a url") == "" and normalised_origin("http://h:99999") == ""


def test_a_session_minted_with_the_former_development_key_is_refused(anonymous: TestClient) -> None:
    admin = make_account(anonymous.app, "root@example.com", Role.ADMIN)
    claims = {"a": admin.account_id, "v": admin.token_version}
    forged = URLSafeTimedSerializer("dev-only-" + "change-me", salt="cspms.session.v1").dumps(claims)
    for headers in ({"Authorization": f"Bearer {forged}"}, {"Cookie": f"{SESSION_COOKIE}={forged}"}):
        assert anonymous.get("/api/auth/me", headers=headers).status_code == 401
        assert anonymous.post("/api/accounts", headers=headers, json={"email": "mallory@example.com",
                              "password": PASSWORD, "role": "admin"}).status_code == 401  # fmt: skip
    assert anonymous.get("/api/auth/me", headers=bearer(anonymous.app, admin)).status_code == 200


TYPED = {"side": "right", "foot_length_mm": 262.0, "ball_girth_mm": 246.0}


def _register(client: TestClient, email: str) -> tuple[dict, dict[str, str]]:
    response = client.post("/api/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    body = response.json()
    return body["account"], {"Authorization": f"Bearer {body['token']}"}


def test_registering_an_address_staff_recorded_shows_nothing_until_the_claim_code_is_entered(
    client: TestClient, anonymous: TestClient
) -> None:
    staff = signed_in(client.app, "floor@example.com", Role.STAFF)
    recorded = client.post("/api/scans/typed", headers=staff, json={**TYPED, "email": "walker@example.com"})
    assert recorded.status_code == 201, recorded.text
    scan_id, code = recorded.json()["id"], recorded.json()["claim_code"]
    assert code and len(code) == 14
    account, walker = _register(anonymous, "walker@example.com")
    assert account["customer_id"] is None and account["proof_needed"] and not account["email_verified"]
    assert anonymous.get(f"/api/scans/{scan_id}", headers=walker).status_code == 404
    for path, body in (("/api/scans/typed", TYPED), ("/api/designs", {"options": DERBY, "last": LAST})):
        own = anonymous.post(path, headers=walker, json=body)
        assert own.status_code == 403 and own.json()["code"] == "address_unconfirmed", own.text
    wrong = anonymous.post("/api/auth/claim", headers=walker, json={"code": "ABCD-EFGH-JKMN"})
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_proof"
    assert anonymous.post("/api/auth/claim", headers=staff, json={"code": code}).status_code == 403
    claimed = anonymous.post("/api/auth/claim", headers=walker, json={"code": code.lower()})
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["customer_id"] is not None and not claimed.json()["proof_needed"]
    assert anonymous.get(f"/api/scans/{scan_id}", headers=walker).status_code == 200
    again = anonymous.post("/api/auth/claim", headers=walker, json={"code": code})
    assert again.status_code == 422  # once
    # More measurements for a customer whose record is an account's: nothing to claim.
    more = client.post("/api/scans/typed", headers=staff, json={**TYPED, "email": "walker@example.com"})
    assert more.status_code == 201 and more.json()["claim_code"] is None
    own = anonymous.post("/api/scans/typed", headers=walker, json=TYPED)
    assert own.status_code == 201 and own.json()["claim_code"] is None


def test_what_staff_record_after_the_address_was_registered_waits_for_the_claim_code(
    client: TestClient, anonymous: TestClient
) -> None:
    # Registered first (by whoever typed the address), recorded by staff after: still nothing without proof.
    account, early = _register(anonymous, "early@example.com")
    assert account["customer_id"] is None and account["proof_needed"]
    staff = signed_in(client.app, "floor@example.com", Role.STAFF)
    recorded = client.post("/api/scans/typed", headers=staff, json={**TYPED, "email": "early@example.com"})
    assert recorded.status_code == 201, recorded.text
    scan_id, code = recorded.json()["id"], recorded.json()["claim_code"]
    assert code is not None  # nobody holds the record: the walk-in gets a code
    assert anonymous.get(f"/api/scans/{scan_id}", headers=early).status_code == 404
    assert anonymous.get("/api/auth/records", headers=early).json() == {"scans": [], "designs": [], "orders": []}
    claimed = anonymous.post("/api/auth/claim", headers=early, json={"code": code})
    assert claimed.status_code == 200, claimed.text
    scan = anonymous.get(f"/api/scans/{scan_id}", headers=early)
    assert scan.status_code == 200
    records = anonymous.get("/api/auth/records", headers=early).json()
    assert [s["id"] for s in records["scans"]] == [scan_id]
    assert records["scans"][0]["foot_length_mm"] == scan.json()["measurements"]["foot_length_mm"]
    assert abs(records["scans"][0]["foot_length_mm"] - TYPED["foot_length_mm"]) < 0.5


def test_staff_print_a_new_claim_code_for_an_address_nobody_holds(client: TestClient, anonymous: TestClient) -> None:
    staff = signed_in(client.app, "floor@example.com", Role.STAFF)
    missing = client.post("/api/auth/claim-codes", headers=staff, json={"email": "nobody@example.com"})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found", missing.text
    recorded = client.post("/api/scans/typed", headers=staff, json={**TYPED, "email": "lost@example.com"})
    first = recorded.json()["claim_code"]
    again = client.post("/api/auth/claim-codes", headers=staff, json={"email": "Lost@Example.com"})
    assert again.status_code == 201, again.text
    slip = again.json()
    assert slip["email"] == "lost@example.com" and slip["claim_code"] not in (None, first)
    ttl_s = client.app.state.resources.settings.claim_code_ttl_s
    assert abs((datetime.fromisoformat(slip["expires_at"]) - datetime.now(UTC)).total_seconds() - ttl_s) < 60
    _, lost = _register(anonymous, "lost@example.com")
    assert anonymous.post("/api/auth/claim", headers=lost, json={"code": slip["claim_code"]}).status_code == 200
    held = client.post("/api/auth/claim-codes", headers=staff, json={"email": "lost@example.com"})
    assert held.status_code == 409 and held.json()["code"] == "conflict", held.text


def test_following_the_emailed_link_attaches_the_records_once(
    client: TestClient, anonymous: TestClient, settings: Settings
) -> None:
    recorded = client.post("/api/scans/typed", json={**TYPED, "email": "linda@example.com"})
    assert recorded.status_code == 201, recorded.text
    outbox = settings.var_dir / "outbox"
    assert not outbox.exists()
    _, fresh = _register(anonymous, "fresh@example.com")  # every registration is mailed a link
    assert len(list(outbox.iterdir())) == 1
    account, linda = _register(anonymous, "linda@example.com")
    assert account["proof_needed"]
    (mail,) = [m for m in outbox.iterdir() if message_from_bytes(m.read_bytes())["To"] == "linda@example.com"]
    message = message_from_bytes(mail.read_bytes(), policy=policy.default)
    link = re.search(r"(http://\S+/login/account\.html\?token=(\S+))", message.get_content())
    assert link is not None and link.group(1).startswith(settings.resolved_public_url)
    assert anonymous.get(f"/api/scans/{recorded.json()['id']}", headers=linda).status_code == 404
    assert anonymous.get("/api/auth/verify", params={"token": link.group(2) + "x"}).status_code == 422
    verified = anonymous.get("/api/auth/verify", params={"token": link.group(2)})  # no session needed: the link is
    assert verified.status_code == 200, verified.text
    assert verified.json()["email_verified"] and verified.json()["customer_id"] is not None
    assert anonymous.get(f"/api/scans/{recorded.json()['id']}", headers=linda).status_code == 200
    assert anonymous.post("/api/auth/verify", params={"token": link.group(2)}).status_code == 422  # once
    # A new link on request, a few an hour (the registration's counts).
    for _ in range(2):
        assert anonymous.post("/api/auth/verification", headers=fresh).status_code == 202
    assert anonymous.post("/api/auth/verification", headers=linda).status_code == 202
    assert len(list(outbox.iterdir())) == 5
    limited = anonymous.post("/api/auth/verification", headers=fresh)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 3000


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
