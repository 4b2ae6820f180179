"""Interval seals published outside the database (issue 18, finding 10): every edit, insertion, deletion and
consistent rewrite of a sealed entry is caught after the next interval seal, sealed day or not, and named; a
root row rewritten in the database, a published line changed and a published file cut short are caught by
comparing with the published, signed roots. On SQLite and PostgreSQL (the ``shop`` fixture)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from benchmarks.ledger import (
    backdate_step,
    chain_and_day_checks_catch,
    delete_entries,
    edit_in_place,
    edit_published_line,
    edit_worker,
    forge_qc_pass,
    insert_forged,
    remove_published_line,
    reorder,
    rewrite_seal_rows,
    truncate_published,
)
from geometry.errors import ConfigurationError
from manufacturing.db.models import LedgerSealSpan, Pair
from manufacturing.db.session import session_scope
from manufacturing.ledger import repository
from manufacturing.ledger.publish import RootsFile, key_file, published_roots, signing_key
from manufacturing.ledger.sealer import seal_on_interval, summary
from manufacturing.ledger.seals import read_published, signed_line
from manufacturing.ledger.service import (
    LedgerReport,
    seal_committed,
    seal_days,
    seal_pending,
    verify_all,
    verify_pair,
)
from manufacturing.settings import Settings
from manufacturing.tracking.events import parse_events
from manufacturing.tracking.ingest import ingest_committed
from tests.manufacturing.tracking.shop import T0, Shop, full_run

KEY = b"a-test-signing-key-of-more-than-32-characters"
RUN = len(full_run("x"))  # 18 readings per pair


def _failing_qc_run(serial: str) -> list[dict]:
    """A full run whose final QC failed (a failure to forge into a pass)."""
    return [{**m, "event_type": "qc_failed", "payload": {"defects": ["glue"]}} if m["event_type"] == "qc_passed"
            else m for m in full_run(serial)]  # fmt: skip


def _tracked(shop: Shop, tmp_path: Path) -> RootsFile:
    """Two pairs tracked in the morning, an interval seal after each; the day is not sealed."""
    file = RootsFile(tmp_path / "published" / "roots.jsonl", KEY)
    ingest_committed(shop.sessions, parse_events(full_run(shop.serials[0])), now=T0 + timedelta(hours=3))
    assert seal_committed(shop.sessions, file, now=T0 + timedelta(hours=3, minutes=1)).seal is not None
    ingest_committed(shop.sessions, parse_events(_failing_qc_run(shop.serials[1])), now=T0 + timedelta(hours=4))
    assert seal_committed(shop.sessions, file, now=T0 + timedelta(hours=4, minutes=1)).seal is not None
    return file


def _pair_id(shop: Shop, serial: str) -> int:
    with session_scope(shop.sessions) as session:
        return session.scalars(select(Pair.id).where(Pair.serial == serial)).one()


def _problems(report: LedgerReport) -> list[tuple[str, int | None, str]]:
    return [(p.what, p.seq, p.message) for v in report.verifications for p in v.problems]


def test_an_interval_seal_covers_every_entry_since_the_last_once_and_is_published(shop: Shop, tmp_path: Path) -> None:
    file = RootsFile(tmp_path / "roots.jsonl", KEY)
    ingest_committed(shop.sessions, parse_events(full_run(shop.serials[0])), now=T0 + timedelta(hours=1))
    first = seal_committed(shop.sessions, file, now=T0 + timedelta(hours=1), min_interval_s=3600)
    assert first.seal is not None and first.published == (1,)
    assert first.seal.leaves == RUN + len(shop.serials)  # and each pair's kit reserved at release
    ingest_committed(shop.sessions, parse_events(full_run(shop.serials[1])), now=T0 + timedelta(hours=1, minutes=30))
    not_due = seal_committed(shop.sessions, file, now=T0 + timedelta(hours=1, minutes=59), min_interval_s=3600)
    assert not_due.seal is None and not_due.published == ()
    second = seal_committed(shop.sessions, file, now=T0 + timedelta(hours=2), min_interval_s=3600)
    assert second.seal is not None and (second.seal.leaves, second.seal.pairs) == (RUN, 1)
    assert second.seal.prev == first.seal.seal_hash  # the seals form their own chain
    assert seal_committed(shop.sessions, file, now=T0 + timedelta(hours=5)).seal is None  # nothing new

    published = file.read()
    assert published.problems == () and list(published.seals) == [1, 2]
    with session_scope(shop.sessions) as session:
        spans = repository.spans(session)
        covered = sorted((s.pair_id, q) for s in spans for q in range(s.first_seq, s.last_seq + 1))
        assert covered == sorted({(k.pair_id, k.seq) for c in repository.chains(session).values() for k in c})
        assert repository.seals(session) == published.seals
        report = verify_all(session, published)
        assert report.ok and (report.seals_checked, report.unsealed_entries) == (2, 0), report.to_json()
        assert verify_pair(session, shop.serials[1], published).ok


Forger = Callable[..., object]
FORGERIES: list[tuple[str, Forger, int, str, int]] = [
    # (name, forger, seq it changes, what verification names, seq named)
    ("edit and recompute every later hash", edit_worker, 6, "sealed:edited", 6),
    ("back-date a step", backdate_step, 9, "sealed:edited", 9),
    ("delete entries and re-link", lambda s, p, k: delete_entries(s, p, k, 2), 5, "sealed:deleted", 5),
    ("insert a forged QC pass", insert_forged, 12, "sealed:inserted", 12),
    ("forge a QC pass from a failure", forge_qc_pass, 0, "sealed:edited", 17),
    ("reorder two steps", reorder, 7, "sealed:moved", 7),
    ("delete the last entry", lambda s, p, k: delete_entries(s, p, RUN + 1), 0, "sealed:deleted", RUN + 1),
    ("edit and rehash one entry only", edit_in_place, 4, "sealed:edited", 4),
]


@pytest.mark.parametrize("day_sealed", [False, True], ids=["day-unsealed", "day-sealed"])
def test_every_rewrite_of_sealed_entries_is_caught_and_named(shop: Shop, tmp_path: Path, day_sealed: bool) -> None:
    file = _tracked(shop, tmp_path)
    if day_sealed:
        with session_scope(shop.sessions) as session:
            seal_days(session, now=T0 + timedelta(days=1))
    pair_id = _pair_id(shop, shop.serials[1])
    with session_scope(shop.sessions) as session:
        for name, forge, k, what, seq in FORGERIES:
            nested = session.begin_nested()
            forge(session, pair_id, k)
            report = verify_all(session, file.read())
            assert not report.ok, name
            assert (what, seq) in [(w, q) for w, q, _ in _problems(report)], (name, _problems(report))
            assert [v.serial for v in report.verifications if not v.ok] == [shop.serials[1]], name
            if not day_sealed and forge is not edit_in_place:
                # What verification had before: chains, heads, events and day roots are all consistent.
                assert not chain_and_day_checks_catch(report), (name, _problems(report))
            pair = verify_pair(session, shop.serials[1], file.read())
            assert not pair.ok and what in {p.what for p in pair.problems}, name
            nested.rollback()
        assert verify_all(session, file.read()).ok


def test_messages_say_what_changed_in_plain_words(shop: Shop, tmp_path: Path) -> None:
    file = _tracked(shop, tmp_path)
    pair_id = _pair_id(shop, shop.serials[1])
    with session_scope(shop.sessions) as session:
        forge_qc_pass(session, pair_id)
        messages = [m for _, _, m in _problems(verify_all(session, file.read()))]
    assert len(messages) == 1
    assert messages[0].startswith(f"pair {shop.serials[1]}: entry 17 (qc_passed of qc_final at QC_FINAL, ")
    assert messages[0].endswith("was changed after it was sealed")


def test_a_root_row_rewritten_in_the_database_is_caught_by_the_published_roots(shop: Shop, tmp_path: Path) -> None:
    file = _tracked(shop, tmp_path)
    with session_scope(shop.sessions) as session:
        seal_days(session, now=T0 + timedelta(days=1))
    with session_scope(shop.sessions) as session:
        edit_worker(session, _pair_id(shop, shop.serials[0]), 6)
        rewrite_seal_rows(session)  # every seal record, seal row and day root recomputed: the database agrees
        assert verify_all(session).ok  # the database alone cannot tell
        report = verify_all(session, file.read())
    assert not report.ok
    kinds = {(p.seal, p.what) for p in report.seal_problems}
    assert (1, "seal:row-rewritten") in kinds and (1, "seal:entries") in kinds
    assert "its row in the database was rewritten" in report.seal_problems[0].message


def test_a_seal_record_rewritten_alone_leaves_the_entries_intact(shop: Shop, tmp_path: Path) -> None:
    file = _tracked(shop, tmp_path)
    with session_scope(shop.sessions) as session:
        row = session.scalars(select(LedgerSealSpan).where(LedgerSealSpan.seal_number == 2)).first()
        row.hashes = "f" * 64 + row.hashes[64:]
        session.flush()
        report = verify_all(session, file.read())
    assert [(p.seal, p.what) for p in report.seal_problems] == [(2, "seal:record")]
    assert all(v.ok for v in report.verifications)


@pytest.mark.parametrize(
    ("tamper", "what", "words"),
    [
        (lambda path: edit_published_line(path, 1), "published:signature", "signature is wrong"),
        (lambda path: path.write_text(path.read_text().replace('"leaves":', '"leaves":1', 1)), "published:edited",
         "was edited"),
        (lambda path: truncate_published(path, 1), "published:missing", "not in the published file"),
        (lambda path: truncate_published(path, 1, cut_mid_line=True), "published:truncated", "cut off"),
        (lambda path: remove_published_line(path, 1), "published:chain", "starts at seal #2"),
        (lambda path: path.write_text(path.read_text().splitlines()[1] + "\n" + path.read_text().splitlines()[0]
                                      + "\n"), "published:chain", "does not follow"),
        (lambda path: path.unlink(), "published:missing", "seals #1–#2"),
    ],
    ids=["line-edited", "seal-hash-wrong", "truncated", "cut-mid-line", "first-line-removed", "reordered", "deleted"],
)  # fmt: skip
def test_a_tampered_published_file_is_caught(
    shop: Shop, tmp_path: Path, tamper: Callable[[Path], object], what: str, words: str
) -> None:
    file = _tracked(shop, tmp_path)
    tamper(file.path)
    with session_scope(shop.sessions) as session:
        report = verify_all(session, file.read())
    assert not report.ok and what in {p.what for p in report.seal_problems}, report.seal_problems
    assert any(words in p.message for p in report.seal_problems), report.seal_problems


def test_a_copy_kept_elsewhere_may_end_before_the_ledger_does(shop: Shop, tmp_path: Path) -> None:
    file = _tracked(shop, tmp_path)
    kept = tmp_path / "kept.jsonl"
    kept.write_text(file.path.read_text().splitlines(keepends=True)[0])  # exported after the first seal
    with session_scope(shop.sessions) as session:
        assert verify_all(session, RootsFile(kept, KEY).read(complete=False)).ok
        live = verify_all(session, RootsFile(kept, KEY).read())  # the live file cut to that: seals missing
        assert [p.what for p in live.seal_problems] == ["published:missing"]


def test_a_line_signed_with_another_key_is_refused(shop: Shop, tmp_path: Path) -> None:
    file = _tracked(shop, tmp_path)
    with session_scope(shop.sessions) as session:
        seal = repository.seals(session)[2]
    lines = file.path.read_text().splitlines()
    file.path.write_text(lines[0] + "\n" + signed_line(seal, b"x" * 40) + "\n")
    problems = file.read().problems
    assert [p.what for p in problems] == ["published:signature"] and "another key" in problems[0].message
    assert read_published(file.path.read_text(), None).problems[0].what == "published:key"


def test_a_seal_stored_but_not_published_is_published_by_the_next_sealing(shop: Shop, tmp_path: Path) -> None:
    file = _tracked(shop, tmp_path)
    ingest_committed(shop.sessions, parse_events(full_run(shop.serials[2])), now=T0 + timedelta(hours=5))
    with session_scope(shop.sessions) as session:  # a crash between the commit and the publishing
        new, unpublished = seal_pending(session, file, now=T0 + timedelta(hours=5, minutes=1))
        assert new is not None and [s.number for s in unpublished] == [3]
    with session_scope(shop.sessions) as session:
        assert {p.what for p in verify_all(session, file.read()).seal_problems} == {"published:missing"}
    outcome = seal_committed(shop.sessions, file, now=T0 + timedelta(hours=6))
    assert (outcome.seal, outcome.published) == (None, (3,))
    with session_scope(shop.sessions) as session:
        assert verify_all(session, file.read()).ok


def test_entries_since_the_last_seal_are_sealed_by_the_next(shop: Shop, tmp_path: Path) -> None:
    """The window left: what was recorded after the last seal, until the next one (an interval at most)."""
    file = _tracked(shop, tmp_path)
    ingest_committed(shop.sessions, parse_events(full_run(shop.serials[2])[:5]), now=T0 + timedelta(hours=5))
    with session_scope(shop.sessions) as session:
        assert verify_all(session, file.read()).unsealed_entries == 5
    seal_committed(shop.sessions, file, now=T0 + timedelta(hours=6))
    pair_id = _pair_id(shop, shop.serials[2])
    with session_scope(shop.sessions) as session:
        report = verify_all(session, file.read())
        assert report.ok and report.unsealed_entries == 0
        edit_worker(session, pair_id, 3)
        assert ("sealed:edited", 3) in [(w, q) for w, q, _ in _problems(verify_all(session, file.read()))]


def test_the_signing_key_is_owner_only_generated_once_and_never_in_the_database(tmp_path: Path) -> None:
    embedded = Settings(var_dir=tmp_path / "var")
    assert signing_key(embedded, create=False) is None
    key = signing_key(embedded)
    assert key is not None and len(key) == 64 and signing_key(embedded) == key
    assert stat.S_IMODE(key_file(embedded).stat().st_mode) == 0o600
    os.chmod(key_file(embedded), 0o640)
    with pytest.raises(ConfigurationError, match="readable by others"):
        signing_key(embedded)
    production = Settings(var_dir=tmp_path / "prod", database_url="postgresql+psycopg://cspms@db:5432/cspms")
    with pytest.raises(ConfigurationError, match="CSPMS_LEDGER_SIGNING_KEY"):
        signing_key(production)
    assert signing_key(production.model_copy(update={"ledger_signing_key": SecretStr("k" * 40)})) == b"k" * 40
    with pytest.raises(ConfigurationError, match="shorter"):
        signing_key(production.model_copy(update={"ledger_signing_key": SecretStr("short")}))
    elsewhere = Settings(var_dir=tmp_path / "elsewhere", ledger_publish_dir=tmp_path / "pub")
    assert published_roots(elsewhere).lines == 0  # nothing published yet: nothing to check, no key needed
    (tmp_path / "pub").mkdir()
    (tmp_path / "pub" / "roots.jsonl").write_text('{"seal": 1}\n')
    with pytest.raises(ConfigurationError, match="no ledger signing key here"):  # an error, not a verdict
        published_roots(elsewhere)


def test_the_workers_periodic_recovery_seals_on_the_interval(shop: Shop, tmp_path: Path) -> None:
    from manufacturing.pipeline.recovery import periodic_jobs

    settings = Settings(var_dir=tmp_path / "var", database_url=shop.url, ledger_seal_interval_s=900,
                        ledger_signing_key=SecretStr(KEY.decode()), ledger_publish_dir=tmp_path / "pub")  # fmt: skip
    assert [(j.name, j.every_s) for j in periodic_jobs(settings) if j.name == "ledger-seal"] == [("ledger-seal", 900)]
    ingest_committed(shop.sessions, parse_events(full_run(shop.serials[0])), now=T0)
    first = seal_on_interval(settings, shop.sessions, now=T0 + timedelta(hours=1))
    assert first.seal is not None and first.published == (1,)
    assert summary(first) == f"sealed #1 ({RUN + len(shop.serials)} entries, root {first.seal.root}); published #1"
    again = seal_on_interval(settings, shop.sessions, now=T0 + timedelta(hours=2))
    assert again.seal is None and summary(again) is None  # nothing recorded since
    published = RootsFile(tmp_path / "pub" / "roots.jsonl", KEY).read()
    assert list(published.seals) == [1] and published.problems == ()
    with session_scope(shop.sessions) as session:
        assert repository.sealed_days(session) == {}  # the day of T0 + 2 h is not over
        assert verify_all(session, published).ok
    without_key = Settings(var_dir=tmp_path / "var", database_url=shop.url)
    with pytest.raises(ConfigurationError, match="CSPMS_LEDGER_SIGNING_KEY"):  # production: no key, no seal
        seal_on_interval(without_key, shop.sessions)


@pytest.mark.slow
def test_a_running_worker_seals_without_a_command(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    from tests.conftest import REPO_ROOT
    from tests.manufacturing.tracking.shop import make_shop

    var_dir = tmp_path / "var"
    shop = make_shop(f"sqlite:///{(var_dir / 'cspms.sqlite').resolve()}")  # the embedded profile's database
    ingest_committed(shop.sessions, parse_events(full_run(shop.serials[0])), now=T0)
    shop.sessions.kw["bind"].dispose()
    env = {**os.environ, "CSPMS_VAR_DIR": str(var_dir), "CSPMS_LEDGER_SEAL_INTERVAL_S": "1"}
    for name in ("CSPMS_DATABASE_URL", "CSPMS_BROKER_URL", "CSPMS_ARTIFACT_DIR", "CSPMS_LEDGER_PUBLISH_DIR"):
        env.pop(name, None)
    published = var_dir / "artifacts" / "ledger" / "roots.jsonl"
    with (tmp_path / "worker.log").open("w") as log:
        worker = subprocess.Popen([sys.executable, "-m", "web.cli", "worker", "--concurrency", "1"], env=env,
                                  cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            deadline = time.monotonic() + 180  # a deadline under load; ~10 s on a quiet machine
            while not published.exists() and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.2)
        finally:
            worker.terminate()
            worker.wait(timeout=20)
    assert published.exists(), (tmp_path / "worker.log").read_text()[-3000:]
    roots = RootsFile(published, signing_key(Settings(var_dir=var_dir), create=False)).read()
    assert roots.problems == () and roots.seals[1].leaves == RUN + len(shop.serials)
