"""``cspms bench tracking``: ingest throughput and latency through a real HTTP server on loopback, ETA error on
a simulated factory, and tamper detection over every single-field edit, insertion and deletion of a ledger.

The ingest runs serve ``web.api.tracking`` with uvicorn in a subprocess, on a throwaway PostgreSQL database,
with readers posting as a shop-floor account (as in production)."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from benchmarks.brokers import free_port
from manufacturing.accounts.roles import Role
from manufacturing.accounts.service import add_account
from manufacturing.accounts.tokens import issue_token
from manufacturing.db.migrate import upgrade
from manufacturing.db.models import Customer, Design, Order, Pair
from manufacturing.db.session import make_engine, make_session_factory, session_scope
from manufacturing.db.throwaway import throwaway_postgres
from manufacturing.ledger.ledger import EVENT, GENESIS, Link, canonical_json, event_fact, make_link, sha256_hex
from manufacturing.ledger.verify import verify_chain
from manufacturing.planning.routing import RoutingInputs, route
from manufacturing.planning.work_orders import EventType, OperationFact, derive_progress
from manufacturing.settings import Settings
from manufacturing.tracking.durations import DurationModel, TimedEvent, observations
from manufacturing.tracking.eta import RemainingOperation, forecast_pair


@dataclass(frozen=True)
class TrackingBenchConfig:
    """``cspms bench tracking``'s knobs: the load (pairs × events, batch sizes, client threads, the offered
    rate of the open-loop runs) and the server (uvicorn worker processes)."""

    postgres_url: str
    pairs: int = 500
    events_per_pair: int = 40
    batch: int = 100
    small_batch: int = 10
    concurrency: int = 4
    rate: float = 1000.0
    workers: int = 2


def run_tracking_benchmark(config: TrackingBenchConfig) -> dict[str, Any]:
    """Ingest runs through uvicorn on loopback (a throwaway database on ``postgres_url``), ETA error on a
    simulated factory, and the tamper campaign over a sample chain."""
    with throwaway_postgres(config.postgres_url, prefix="cspms_bench") as url:
        ingest = _ingest_runs(url, config)
    links, facts = sample_chain(events=20)
    return {"ingest": {"database": "postgresql", "server": f"uvicorn, {config.workers} worker process(es), loopback",
                       "cores": os.cpu_count(), **ingest},
            "eta": eta_error(), "tamper": tamper_campaign(links, facts)}  # fmt: skip


def _ingest_runs(database_url: str, config: TrackingBenchConfig) -> dict[str, Any]:
    """Saturation (closed loop, ``batch`` per request), the offered ``rate`` in batches of ``batch`` and of
    ``small_batch`` (open loop: p99 at a sustained rate), and single-event requests (closed loop)."""
    upgrade(database_url)
    engine = make_engine(database_url)
    with session_scope(make_session_factory(engine)) as session:
        customer = Customer(email="bench@example.com")
        session.add(customer)
        session.flush()
        design = Design(design_key="bench", customer_id=customer.id, style="derby", options={"style": "derby"})
        order = Order(number="O-BENCH", customer_id=customer.id)
        session.add_all([design, order])
        session.flush()
        serials = [f"CS26-B{k:05d}" for k in range(config.pairs)]
        session.add_all([Pair(serial=s, order_id=order.id, design_id=design.id) for s in serials])
        # The readers post as a shop-floor account, as in production (POST /api/tracking/events needs one).
        reader = add_account(session, "readers@bench.example.com", secrets.token_urlsafe(16), Role.STAFF)
    engine.dispose()
    secret_key = secrets.token_urlsafe(32)
    auth = {"Authorization": f"Bearer {issue_token(Settings(secret_key=SecretStr(secret_key)), reader)}"}
    batch, concurrency, rate = config.batch, config.concurrency, config.rate
    with _tracking_server(database_url, secret_key, config.workers) as base:
        messages = synthetic_messages(serials, config.events_per_pair, 2026, datetime(2026, 3, 16, 6, 0, tzinfo=UTC))
        n = len(messages)
        cuts = [5 * batch, int(0.45 * n), int(0.75 * n), int(0.92 * n), n]  # warm-up, then one share per run
        run_load(base, messages[: cuts[0]], batch, concurrency, headers=auth)  # warm up the server and pools
        return {
            "saturation": run_load(base, messages[cuts[0] : cuts[1]], batch, concurrency, headers=auth),
            "at_rate": run_load(base, messages[cuts[1] : cuts[2]], batch, concurrency, rate=rate, headers=auth),
            "small_batches_at_rate": run_load(base, messages[cuts[2] : cuts[3]], config.small_batch, concurrency,
                                              rate=rate, headers=auth),
            "single_events": run_load(base, messages[cuts[3] : cuts[4]], 1, concurrency, headers=auth),
        }  # fmt: skip


@contextmanager
def _tracking_server(database_url: str, secret_key: str, workers: int) -> Iterator[str]:
    """``web.api.tracking``'s app served by uvicorn on a free loopback port; yields its base URL."""
    import httpx

    port = free_port()
    with tempfile.TemporaryDirectory() as var:
        env = {**os.environ, "CSPMS_DATABASE_URL": database_url, "CSPMS_VAR_DIR": var, "CSPMS_SECRET_KEY": secret_key}
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "web.api.tracking:create_tracking_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning",
             "--no-access-log"],
            env=env,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    httpx.get(base + "/docs", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield base
        finally:
            server.terminate()
            server.wait(10)


# ---------------------------------------------------------------------------------------------- ingest load


def synthetic_messages(serials: list[str], per_pair: int, seed: int, start: datetime) -> list[dict[str, Any]]:
    """Reader messages: each pair's operations started and finished in turn (``per_pair`` events each)."""
    rng = random.Random(seed)
    ops = ["cutting", "skiving", "closing_machine", "lasting", "sole_attaching", "finishing", "qc_final", "packing"]
    out = []
    for serial in serials:
        t = start
        for k in range(per_pair):
            op = ops[(k // 2) % len(ops)]
            kind = "started" if k % 2 == 0 else ("qc_passed" if op == "qc_final" else "finished")
            t += timedelta(minutes=rng.uniform(2, 15))
            out.append({"event_id": str(uuid.uuid4()), "pair_serial": serial, "station": op.upper()[:8],
                        "operation": op, "event_type": kind, "occurred_at": t.isoformat(),
                        "reader_id": f"rfid-{rng.randint(1, 20)}",
                        "payload": {"worker": f"W-{rng.randint(1, 30)}"}})  # fmt: skip
    rng.shuffle(out)  # readers deliver out of order
    return out


def run_load(base_url: str, messages: list[dict[str, Any]], batch: int, concurrency: int,
             duplicate_rate: float = 0.05, rate: float | None = None,
             headers: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """POST ``messages`` in batches from ``concurrency`` threads; a share is resent (duplicates). Returns events/s
    over the whole run and each request's latency percentiles (ms).

    Closed loop (``rate`` None): each thread sends its next request as soon as the last is answered, so the
    server is saturated and latency includes the queue of the other threads' requests. Open loop (``rate``
    events/s): request k is due at start + k·batch/rate and its latency counts from then (a request sent late
    because every thread was busy is charged its wait), which is what "p99 at a sustained rate" means."""
    import httpx

    rng = random.Random(1)
    batches = [messages[k : k + batch] for k in range(0, len(messages), batch)]
    batches += [rng.sample(b, max(1, int(len(b) * duplicate_rate))) for b in rng.sample(batches, len(batches) // 10)]
    latencies: list[float] = []
    errors: list[str] = []
    stored = [0]
    lock = threading.Lock()
    due_s, sent_before = [], 0
    for b in batches:  # open loop: a batch is due when the events before it have been offered at ``rate``
        due_s.append(sent_before / rate if rate else 0.0)
        sent_before += len(b)
    queue = list(reversed(list(zip(due_s, batches, strict=True))))

    def worker() -> None:
        with httpx.Client(base_url=base_url, timeout=30, headers=headers) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    offset_s, body = queue.pop()
                due = t0 + offset_s
                if rate:
                    time.sleep(max(0.0, due - time.perf_counter()))
                start = due if rate else time.perf_counter()
                response = client.post("/api/tracking/events", json=body)
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 202:
                        errors.append(f"{response.status_code}: {response.text[:200]}")
                    else:
                        stored[0] += response.json()["stored"]

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    sent = sum(len(b) for b in batches)
    return {"events_sent": sent, "events_stored": stored[0], "requests": len(batches), "batch": batch,
            "concurrency": concurrency, "load": f"open loop, {rate:g} events/s offered" if rate else "closed loop",
            "wall_s": round(wall, 2), "events_per_s": round(sent / wall),
            "latency_ms": {"p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99), "max": round(ordered[-1], 1)},
            "errors": errors[:5], "error_count": len(errors)}  # fmt: skip


# ---------------------------------------------------------------------------------------------- ETA error


def simulate_factory(pairs: int, seed: int, interarrival_min: float = 30.0) -> tuple[list[TimedEvent], dict]:
    """A factory of one station per operation, FIFO, true times = standard × the centre's own bias × noise
    (log-normal σ 0.25); pairs released every ``interarrival_min`` on average. Returns every event and each
    pair's (routing, release, completion)."""
    rng = random.Random(seed)
    inputs = RoutingInputs("derby", piece_count=8, seam_length_mm=1800.0, eyelets=10)
    routing = route(inputs)
    bias = {op.code: rng.uniform(0.7, 1.6) for op in routing.operations}
    free_at = {op.code: 0.0 for op in routing.operations}
    events, truth = [], {}
    release = 0.0
    for pid in range(1, pairs + 1):
        release += rng.expovariate(1 / interarrival_min)
        t = release
        for op in routing.operations:
            start = max(t, free_at[op.code])
            end = start + op.standard_minutes * bias[op.code] * rng.lognormvariate(0, 0.25)
            free_at[op.code] = end
            finish = "qc_passed" if op.qc_point else "finished"
            events.append(TimedEvent(f"{pid}-{op.code}-s", pid, op.code, op.code, "started", _at(start)))
            events.append(TimedEvent(f"{pid}-{op.code}-f", pid, op.code, op.code, finish, _at(end)))
            t = end
        truth[pid] = (routing, release, t)
    return events, truth


_EPOCH = datetime(2026, 1, 5, tzinfo=UTC)


def _at(minutes: float) -> datetime:
    return _EPOCH + timedelta(minutes=minutes)


def eta_error(pairs: int = 400, seed: int = 2026, snapshots: int = 40) -> dict[str, Any]:
    """At several moments, learn from the events so far and forecast every pair in flight; the error is
    |ETA − actual completion| in minutes, for the learned model and for standard times alone."""
    events, truth = simulate_factory(pairs, seed)
    horizon = max(end for _, _, end in truth.values())
    minutes = lambda a, b: (b - a).total_seconds() / 60  # noqa: E731 - the simulated shop never closes
    learned_err, standard_err = [], []
    for k in range(1, snapshots + 1):
        now_min = horizon * (0.3 + 0.6 * k / snapshots)
        now = _at(now_min)
        known = [e for e in events if e.occurred_at <= now]
        model = DurationModel()
        model.learn(observations(known, minutes))
        by_pair: dict[int, list[TimedEvent]] = {}
        for e in known:
            by_pair.setdefault(e.pair_id, []).append(e)
        for pid, (routing, release, end) in truth.items():
            if release > now_min or end <= now_min:
                continue
            facts = [OperationFact(EventType(e.event_type), e.operation, e.occurred_at, e.station)
                     for e in by_pair.get(pid, [])]  # fmt: skip
            progress = derive_progress(routing.operations, facts)
            remaining = [
                RemainingOperation(op.code, st.state.value, op.code, op.standard_minutes,
                                   minutes(st.started_at, now) if st.started_at else 0.0)
                for op, st in zip(routing.operations, progress.operations, strict=True)
                if st.state.value != "done"
            ]  # fmt: skip
            actual = end - now_min
            learned_err.append(abs(forecast_pair(remaining, model).remaining_minutes - actual))
            standard_err.append(abs(forecast_pair(remaining, DurationModel()).remaining_minutes - actual))
    return {
        "pairs": pairs, "forecasts": len(learned_err), "seed": seed,
        "median_abs_error_min": {"learned": round(statistics.median(learned_err), 1),
                                 "standard_times": round(statistics.median(standard_err), 1)},
        "p90_abs_error_min": {"learned": round(_p(learned_err, 0.9), 1),
                              "standard_times": round(_p(standard_err, 0.9), 1)},
    }  # fmt: skip


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---------------------------------------------------------------------------------------------- tamper


def sample_chain(serial: str = "CS26-TAMPER", events: int = 12, seed: int = 3) -> tuple[list[Link], dict]:
    rng = random.Random(seed)
    links: list[Link] = []
    facts = {}
    t = datetime(2026, 3, 16, 7, 0, tzinfo=UTC)
    for k in range(events):
        t += timedelta(minutes=rng.uniform(1, 30))
        kind = "qc_failed" if k == 7 else ("started" if k % 2 == 0 else "finished")
        fact = event_fact(f"ev-{k}", kind, f"op{k // 2}", f"ST-{k % 3}", t, "rfid-1",
                          {"worker": f"W-{k % 4}", **({"defects": ["glue"]} if kind == "qc_failed" else {})},
                          )  # fmt: skip
        head = (links[-1].seq, links[-1].entry_hash) if links else None
        links.append(make_link(1, serial, head, t + timedelta(seconds=5), EVENT, fact))
        facts[fact["event_id"]] = fact
    return links, facts


def _edits(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, datetime):
        return value + timedelta(seconds=1)
    if value is None:
        return "x"
    return str(value)[:-1] + ("0" if str(value)[-1:] != "0" else "1")


Verifier = Callable[[list[Link], tuple[int, str] | None, dict], bool]


def tamper_campaign(links: list[Link], facts: dict[str, dict], verify: Verifier | None = None) -> dict[str, Any]:
    """Every single-field edit (stored columns and every field inside every body), every deletion, and an
    insertion at every position (a well-formed forged entry, re-chained after it): how many are caught."""
    serial = json.loads(links[0].body)["pair"]
    head = (links[-1].seq, links[-1].entry_hash)

    def caught(candidate: list[Link], head: tuple[int, str] | None = head) -> bool:
        if verify is not None:
            return not verify(candidate, head, facts)
        return not verify_chain(serial, candidate, head, facts).ok

    assert not caught(links), "the untouched chain must verify"
    results = {"edit": [0, 0], "delete": [0, 0], "insert": [0, 0]}
    for k, link in enumerate(links):
        for name in ("pair_id", "seq", "day", "kind", "event_id", "body", "prev_hash", "entry_hash", "recorded_at"):
            if name == "pair_id":
                continue  # the storage key picks the chain; moving an entry shows as a delete here, an insert there
            edited = dataclasses.replace(link, **{name: _edits(getattr(link, name))})
            results["edit"][0] += 1
            results["edit"][1] += caught([*links[:k], edited, *links[k + 1 :]])
        body = json.loads(link.body)
        flat = [(key, None) for key in body if key != "fact"] + [("fact", key) for key in body["fact"]]
        for key, inner in flat:
            changed = json.loads(link.body)
            if inner is None:
                changed[key] = _edits(changed[key])
            else:
                changed["fact"][inner] = _edits(changed["fact"][inner])
            text = canonical_json(changed)
            for rehash in (False, True):  # a careless and a careful forger
                new_hash = sha256_hex(text) if rehash else link.entry_hash
                edited = dataclasses.replace(link, body=text, entry_hash=new_hash)
                results["edit"][0] += 1
                results["edit"][1] += caught([*links[:k], edited, *links[k + 1 :]])
        results["delete"][0] += 1
        results["delete"][1] += caught([*links[:k], *links[k + 1 :]])
    for k in range(len(links) + 1):
        forged: list[Link] = []
        prev = (k, links[k - 1].entry_hash) if k else None
        fake = event_fact(f"forged-{k}", "qc_passed", "qc_final", "QC-1", links[0].recorded_at, "rfid-9", {})
        for fact, at in [(fake, links[0].recorded_at),
                         *[(json.loads(x.body)["fact"], x.recorded_at) for x in links[k:]]]:  # fmt: skip
            forged.append(make_link(1, serial, prev, at, EVENT, fact))
            prev = (forged[-1].seq, forged[-1].entry_hash)
        results["insert"][0] += 1
        results["insert"][1] += caught([*links[:k], *forged])
    total = sum(n for n, _ in results.values())
    detected = sum(d for _, d in results.values())
    return {"mutations": total, "detected": detected, "rate": round(detected / total, 4),
            **{kind: {"mutations": n, "detected": d} for kind, (n, d) in results.items()}}  # fmt: skip


__all__ = [
    "GENESIS",
    "TrackingBenchConfig",
    "eta_error",
    "run_load",
    "run_tracking_benchmark",
    "sample_chain",
    "synthetic_messages",
    "tamper_campaign",
]
