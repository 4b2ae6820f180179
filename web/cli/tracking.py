"""``cspms ledger verify|seal|export``, ``cspms kpi`` and ``cspms tracking listen`` (MQTT)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from manufacturing.settings import get_settings
from web.cli.database import session_factory
from web.cli.failures import EXIT_INTERNAL_ERROR, CommandFailedError

if TYPE_CHECKING:
    from manufacturing.ledger.service import SealOutcome


def ledger_verify_command(
    pair: Annotated[str | None, typer.Option("--pair", help="One pair's serial; default every pair.")] = None,
    seal: Annotated[bool, typer.Option(help="First seal past days and every entry not sealed yet.")] = False,
    published: Annotated[
        Path | None, typer.Option(help="Check against this copy of the published seals (from `cspms ledger export`).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Recompute every hash chain, head, tracking event and sealed root, and check the seals against the roots
    published outside the database; say what was changed and exit 3 when anything was altered."""
    from manufacturing.db.session import session_scope
    from manufacturing.ledger.publish import published_roots, roots_file
    from manufacturing.ledger.service import seal_committed, seal_days, verify_all, verify_pair

    settings = get_settings()
    sessions = session_factory()
    if seal:
        with session_scope(sessions) as session:
            for day, root, leaves in seal_days(session):
                typer.echo(f"sealed {day}: {leaves} entries, root {root}", err=True)
        _echo_seal(seal_committed(sessions, roots_file(settings)))
    roots = published_roots(settings, published)
    with session_scope(sessions) as session:
        report = verify_pair(session, pair, roots).to_json() if pair else verify_all(session, roots).to_json()
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    elif report["ok"]:
        typer.echo(f"ledger ok: {report.get('pairs', 1)} pair(s), {report['entries']} entries")
        if "seals_checked" in report:
            typer.echo(f"{report['seals_checked']} seal(s) checked against the published roots; "
                       f"{report['unsealed_entries']} entries recorded since the last seal", err=True)  # fmt: skip
    else:
        problems = [p["message"] for v in report.get("tampered_pairs", [report]) for p in v["problems"]]
        problems += [p["message"] for p in report.get("day_problems", [])]
        problems += [p["message"] for p in report.get("seal_problems", [])]
        typer.echo("ledger TAMPERED:\n  " + "\n  ".join(problems))
    if not report["ok"]:
        # Not typer.Exit: under main()'s standalone_mode=False click returns its code, and main() drops it.
        raise typer.Exit(3)


def _echo_seal(outcome: SealOutcome) -> None:
    if outcome.seal is None:
        typer.echo("nothing recorded since the last seal", err=True)
    else:
        s = outcome.seal
        typer.echo(f"sealed #{s.number}: {s.leaves} entries of {s.pairs} pair(s), root {s.root}", err=True)
    if outcome.published:
        typer.echo(f"published seal(s) {', '.join(f'#{n}' for n in outcome.published)}", err=True)
    if outcome.publish_error:
        raise CommandFailedError(f"sealed but not published: {outcome.publish_error}", EXIT_INTERNAL_ERROR)


def ledger_seal_command() -> None:
    """Seal now every ledger entry recorded since the last seal, and publish its root (signed) outside the
    database; the worker does this on its own every CSPMS_LEDGER_SEAL_INTERVAL_S."""
    from manufacturing.ledger.publish import roots_file
    from manufacturing.ledger.service import seal_committed

    settings = get_settings()
    file = roots_file(settings)
    _echo_seal(seal_committed(session_factory(), file))
    typer.echo(str(file.path))


def ledger_export_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write the copy (keep it off this machine).")],
) -> None:
    """Copy the published seals for the shop to keep elsewhere; `cspms ledger verify --published FILE` checks
    the ledger against such a copy. Exit 3 when the published file itself is damaged."""
    from manufacturing.ledger.publish import RootsFile, roots_path, signing_key

    settings = get_settings()
    roots = RootsFile(roots_path(settings), signing_key(settings, create=False)).export(out)
    last = roots.last
    typer.echo(f"exported {len(roots.seals)} seal(s) to {out}" + (f", the last #{last.number} sealed "
               f"{last.sealed_at.isoformat()}" if last is not None else ""))  # fmt: skip
    for problem in roots.problems:
        typer.echo(f"warning: {problem.message}", err=True)
    if any(p.what != "published:key" for p in roots.problems):  # damaged, not merely unverifiable here
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
