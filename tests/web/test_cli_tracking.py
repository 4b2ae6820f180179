"""``cspms ledger verify`` and ``cspms kpi`` as a user runs them: a real process on a real SQLite database,
empty and then populated with tracked pairs; a tampered ledger exits 3 naming the problem."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from manufacturing.db.migrate import upgrade
from manufacturing.db.models import LedgerEntry
from manufacturing.db.session import session_scope
from manufacturing.ledger.ledger import sha256_hex
from manufacturing.tracking.events import parse_events
from manufacturing.tracking.ingest import ingest_committed
from tests.conftest import REPO_ROOT
from tests.manufacturing.tracking.shop import T0, Shop, full_run, make_shop


def cspms(*args: str, var_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CSPMS_VAR_DIR": str(var_dir)}
    env.pop("CSPMS_DATABASE_URL", None)  # the embedded database in var_dir
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args], capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120
    )


def database_url(var_dir: Path) -> str:
    return f"sqlite:///{(var_dir / 'cspms.sqlite').resolve()}"


@pytest.fixture
def populated(tmp_path: Path) -> Shop:
    """Two pairs tracked to the end, one half-way."""
    shop = make_shop(database_url(tmp_path), pairs=3)
    for k, serial in enumerate(shop.serials[:2]):
        ingest_committed(shop.sessions, parse_events(full_run(serial, start=k * 30)), now=T0 + timedelta(hours=4))
    ingest_committed(shop.sessions, parse_events(full_run(shop.serials[2])[:7]), now=T0 + timedelta(hours=4))
    shop.sessions.kw["bind"].dispose()
    return shop


def test_ledger_verify_on_an_empty_database(tmp_path: Path) -> None:
    upgrade(database_url(tmp_path))
    result = cspms("ledger", "verify", var_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ledger ok: 0 pair(s), 0 entries"
    report = json.loads(cspms("ledger", "verify", "--json", var_dir=tmp_path).stdout)
    assert report == {"ok": True, "pairs": 0, "entries": 0, "days_checked": 0, "tampered_pairs": [],
                      "day_problems": [], "seals_checked": 0, "against_published": True, "seal_problems": [],
                      "unsealed_entries": 0}  # fmt: skip


def test_ledger_verify_on_a_populated_database_then_tampered(populated: Shop, tmp_path: Path) -> None:
    entries = 2 * len(full_run("x")) + 7 + len(populated.serials)  # + each pair's kit reserved at release
    result = cspms("ledger", "verify", "--seal", "--json", var_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["ok"], report["pairs"], report["entries"], report["days_checked"]) == (True, 3, entries, 1)
    assert f"sealed 2026-03-16: {entries} entries" in result.stderr
    one = cspms("ledger", "verify", "--pair", populated.serials[2], var_dir=tmp_path)
    assert one.returncode == 0 and one.stdout.strip() == "ledger ok: 1 pair(s), 8 entries"

    with session_scope(populated.sessions) as session:  # a worker's name edited, and rehashed, in one entry
        row = session.scalars(select(LedgerEntry).where(LedgerEntry.seq == 4, LedgerEntry.pair_id == 1)).one()
        row.body = row.body.replace("W-7", "W-8")
        row.entry_hash = sha256_hex(row.body)
    populated.sessions.kw["bind"].dispose()
    tampered = cspms("ledger", "verify", var_dir=tmp_path)
    assert tampered.returncode == 3, tampered.stderr
    assert tampered.stdout.startswith("ledger TAMPERED:") and "entry 5" in tampered.stdout  # its successor's link
    report = json.loads(cspms("ledger", "verify", "--json", var_dir=tmp_path).stdout)
    assert report["ok"] is False and [v["serial"] for v in report["tampered_pairs"]] == [populated.serials[0]]
    assert [p["what"] for p in report["day_problems"]] == ["day"]  # the sealed day's root no longer matches


def test_kpi_json(populated: Shop, tmp_path: Path) -> None:
    result = cspms("kpi", "--json", var_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    text = cspms("kpi", var_dir=tmp_path)
    assert text.returncode == 0 and len(text.stdout.splitlines()) == len(report)
    # Two pairs done (every operation finished by W-7), the third cut and skived: its order is still open.
    assert (report["pairs"], report["pairs_done"], report["orders"], report["orders_done"]) == (3, 2, 1, 0)
    assert report["order_lead_time"] is None and report["on_time_delivery"] == 1.0
    assert report["output_per_worker"] == {"W-7": 2 * 8 + 2}
    assert (report["defect_rate"], report["first_pass_yield"]) == (0.0, 1.0)


def test_ledger_seal_export_and_verify_against_the_published_roots(populated: Shop, tmp_path: Path) -> None:
    from benchmarks.ledger import edit_worker, rewrite_seal_rows

    sealed = cspms("ledger", "seal", var_dir=tmp_path)
    assert sealed.returncode == 0, sealed.stderr
    assert "sealed #1: " in sealed.stderr and "published seal(s) #1" in sealed.stderr
    published = tmp_path / "artifacts" / "ledger" / "roots.jsonl"
    assert sealed.stdout.strip() == str(published.resolve()) and len(published.read_text().splitlines()) == 1
    assert (tmp_path / "ledger_signing_key").stat().st_mode & 0o777 == 0o600
    assert cspms("ledger", "seal", var_dir=tmp_path).stderr.startswith("nothing recorded since the last seal")
    kept = tmp_path / "elsewhere" / "roots.jsonl"
    exported = cspms("ledger", "export", "--out", str(kept), var_dir=tmp_path)
    assert exported.returncode == 0 and exported.stdout.startswith(f"exported 1 seal(s) to {kept}")
    assert kept.read_text() == published.read_text()

    with session_scope(populated.sessions) as session:  # a careful forger: every later hash recomputed
        edit_worker(session, 1, 6)
    populated.sessions.kw["bind"].dispose()
    rewritten = cspms("ledger", "verify", var_dir=tmp_path)
    named = rewritten.stdout.splitlines()[1]
    assert rewritten.returncode == 3 and named.endswith("was changed after it was sealed")
    assert named.startswith(f"  pair {populated.serials[0]}: entry 6 (started of skiving at SKIVING, 2026-03-16 ")
    with session_scope(populated.sessions) as session:  # and the seal rows, too
        rewrite_seal_rows(session)
    populated.sessions.kw["bind"].dispose()
    tampered = cspms("ledger", "verify", var_dir=tmp_path)
    assert tampered.returncode == 3, tampered.stderr
    assert "seal #1 (sealed " in tampered.stdout and "its row in the database was rewritten" in tampered.stdout
    published.unlink()  # and the published file removed: the copy kept elsewhere still tells
    report = json.loads(cspms("ledger", "verify", "--published", str(kept), "--json", var_dir=tmp_path).stdout)
    assert report["ok"] is False and {p["what"] for p in report["seal_problems"]} >= {"seal:row-rewritten"}
