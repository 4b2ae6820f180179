"""``cspms ledger verify``, ``cspms kpi``, ``cspms bench tracking`` and ``cspms tracking listen`` (MQTT)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Annotated

import typer

from web.cli.database import session_factory


def ledger_verify_command(
    pair: Annotated[str | None, typer.Option("--pair", help="One pair's serial; default every pair.")] = None,
    seal: Annotated[bool, typer.Option(help="First seal the Merkle roots of past days not sealed yet.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Recompute every hash chain, head, tracking event and sealed day root; exit 3 when anything was altered."""
    from manufacturing.db.session import session_scope
    from manufacturing.ledger.service import seal_days, verify_all, verify_pair

    with session_scope(session_factory()) as session:
        if seal:
            for day, root, leaves in seal_days(session):
                typer.echo(f"sealed {day}: {leaves} entries, root {root}", err=True)
        report = verify_pair(session, pair).to_json() if pair else verify_all(session).to_json()
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    elif report["ok"]:
        typer.echo(f"ledger ok: {report.get('pairs', 1)} pair(s), {report['entries']} entries")
    else:
        problems = [p["message"] for v in report.get("tampered_pairs", [report]) for p in v["problems"]]
        problems += [p["message"] for p in report.get("day_problems", [])]
        typer.echo("ledger TAMPERED:\n  " + "\n  ".join(problems))
    if not report["ok"]:
        # Not typer.Exit: under main()'s standalone_mode=False click returns its code, and main() drops it.
        raise typer.Exit(3)


def kpi_command(as_json: Annotated[bool, typer.Option("--json", help="Print the KPIs as JSON.")] = False) -> None:
    """Order lead and processing time, on-time delivery, output per worker, defect rate, first-pass yield."""
    from manufacturing.db.session import session_scope
    from manufacturing.tracking.kpi import kpis

    with session_scope(session_factory()) as session:
        report = kpis(session)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    for key, value in report.items():
        typer.echo(f"{key:22s} {value}")


def mqtt_listen_command(
    host: Annotated[str, typer.Option(help="MQTT broker host.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="MQTT broker port.")] = 1883,
    topic: Annotated[str, typer.Option(help="Topic filter (QoS 1).")] = "cspms/events/#",
) -> None:
    """Store scan events published to the broker until interrupted (acknowledged after they are committed)."""
    from manufacturing.tracking.mqtt import MqttListener

    listener = MqttListener(session_factory(), host, port, topic)
    listener.start()
    typer.echo(f"listening on mqtt://{host}:{port}/{topic}", err=True)
    try:
        while True:
            time.sleep(10)
            s = listener.stats
            typer.echo(f"{s.messages} messages, {s.stored} stored, {s.duplicates} duplicates, {s.rejected} rejected",
                       err=True)  # fmt: skip
    except KeyboardInterrupt:
        listener.stop()


def bench_tracking_command(
    database_url: Annotated[str, typer.Option(help="PostgreSQL server; a throwaway database is made on it.")] = (
        os.environ.get("CSPMS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ),
    pairs: Annotated[int, typer.Option(help="Pairs receiving events.", min=1)] = 500,
    events_per_pair: Annotated[int, typer.Option(help="Events per pair.", min=2)] = 40,
    batch: Annotated[int, typer.Option(help="Events per request.", min=1)] = 100,
    small_batch: Annotated[int, typer.Option(help="Events per request of the small-batch run.", min=1)] = 10,
    concurrency: Annotated[int, typer.Option(help="Client threads.", min=1)] = 4,
    rate: Annotated[float, typer.Option(help="Offered events/s of the open-loop runs.", min=1)] = 1000.0,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes (one per core).", min=1)] = 2,
    out: Annotated[Path | None, typer.Option(help="Also write the JSON report here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report on stdout.")] = False,
) -> None:
    """Ingest through uvicorn on loopback (PostgreSQL), ETA error on a simulated factory, tamper detection.

    Ingest runs: saturation (closed loop, ``batch`` per request), the offered ``rate`` in batches of ``batch`` and
    of ``small_batch`` (open loop: p99 at a sustained rate), and single-event requests (closed loop)."""
    from datetime import UTC, datetime

    import httpx
    from pydantic import SecretStr
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from manufacturing.accounts.roles import Role
    from manufacturing.accounts.service import add_account
    from manufacturing.db.migrate import upgrade
    from manufacturing.db.models import Customer, Design, Order, Pair
    from manufacturing.db.session import make_engine, make_session_factory, session_scope
    from manufacturing.pipeline.private_brokers import free_port
    from manufacturing.settings import Settings
    from manufacturing.tracking.bench import eta_error, run_load, sample_chain, synthetic_messages, tamper_campaign
    from web.api.auth import issue_token

    name = f"cspms_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    server = None
    try:
        upgrade(url)
        engine = make_engine(url)
        with session_scope(make_session_factory(engine)) as session:
            customer = Customer(email="bench@example.com")
            session.add(customer)
            session.flush()
            design = Design(design_key="bench", customer_id=customer.id, style="derby", options={"style": "derby"})
            order = Order(number="O-BENCH", customer_id=customer.id)
            session.add_all([design, order])
            session.flush()
            serials = [f"CS26-B{k:05d}" for k in range(pairs)]
            session.add_all([Pair(serial=s, order_id=order.id, design_id=design.id) for s in serials])
            # The readers post as a shop-floor account, as in production (POST /api/tracking/events needs one).
            reader = add_account(session, "readers@bench.example.com", secrets.token_urlsafe(16), Role.STAFF)
        engine.dispose()
        secret_key = secrets.token_urlsafe(32)
        auth = {"Authorization": f"Bearer {issue_token(Settings(secret_key=SecretStr(secret_key)), reader)}"}
        port = free_port()
        with tempfile.TemporaryDirectory() as var:
            env = {**os.environ, "CSPMS_DATABASE_URL": url, "CSPMS_VAR_DIR": var, "CSPMS_SECRET_KEY": secret_key}
            server = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "web.api.tracking:create_tracking_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning",
                 "--no-access-log"],
                env=env,
            )  # fmt: skip
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    httpx.get(base + "/docs", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            start = datetime(2026, 3, 16, 6, 0, tzinfo=UTC)
            messages = synthetic_messages(serials, events_per_pair, 2026, start)
            n = len(messages)
            cuts = [5 * batch, int(0.45 * n), int(0.75 * n), int(0.92 * n), n]  # warm-up, then one share per run
            run_load(base, messages[: cuts[0]], batch, concurrency, headers=auth)  # warm up the server and pools
            ingest = {
                "saturation": run_load(base, messages[cuts[0] : cuts[1]], batch, concurrency, headers=auth),
                "at_rate": run_load(base, messages[cuts[1] : cuts[2]], batch, concurrency, rate=rate, headers=auth),
                "small_batches_at_rate": run_load(base, messages[cuts[2] : cuts[3]], small_batch, concurrency,
                                                  rate=rate, headers=auth),
                "single_events": run_load(base, messages[cuts[3] : cuts[4]], 1, concurrency, headers=auth),
            }  # fmt: skip
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    links, facts = sample_chain(events=20)
    report = {"ingest": {"database": "postgresql", "server": f"uvicorn, {workers} worker process(es), loopback",
                         "cores": os.cpu_count(), **ingest},
              "eta": eta_error(), "tamper": tamper_campaign(links, facts)}  # fmt: skip
    text_out = json.dumps(report, indent=2)
    if out is not None:
        out.write_text(text_out)
    if as_json:
        typer.echo(text_out)
        return
    lines = [f"ingest {name}: {r['events_per_s']} events/s, p99 {r['latency_ms']['p99']} ms per request of "
             f"{r['batch']} ({r['load']}, {r['concurrency']} clients)"
             for name, r in ingest.items()]  # fmt: skip
    typer.echo(
        "\n".join(
            [
                *lines,
                f"ETA median abs error {report['eta']['median_abs_error_min']}",
                f"tamper detected {report['tamper']['detected']}/{report['tamper']['mutations']}",
            ]
        )
    )
