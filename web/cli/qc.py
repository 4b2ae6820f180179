"""``cspms qc report`` (first-pass yield, rework rate, defect Pareto) and ``cspms feedback summary`` (fit
feedback per style and the suggested allowance changes)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from web.cli.database import session_factory


def qc_report_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """First-pass yield, rework rate and the defect Pareto over every finished inspection."""
    from manufacturing.db.session import session_scope
    from manufacturing.qc.metrics import qc_report

    with session_scope(session_factory()) as session:
        report = qc_report(session)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{100 * value:.1f} %"

    typer.echo(f"inspections        {report['inspections']} ({report['pairs_inspected']} pairs)")
    typer.echo(f"first-pass yield   {pct(report['first_pass_yield'])}")
    for checkpoint, value in report["first_pass_yield_by_checkpoint"].items():
        typer.echo(f"  {checkpoint:16s} {pct(value)}")
    typer.echo(f"rework rate        {pct(report['rework_rate'])} ({report['failed_inspections']} failed)")
    typer.echo("defect Pareto")
    for row in report["defect_pareto"]:
        typer.echo(f"  {row['code']:13s} {row['count']:5d}  {pct(row['share']):>8s}  cum {pct(row['cumulative_share'])}"
                   f"  {row['description']}")  # fmt: skip


def feedback_summary_command(
    min_samples: Annotated[int, typer.Option(help="Answers a region needs before a change is suggested.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Fit feedback per style: answers per region and the suggested allowance changes (mm)."""
    from manufacturing.db.session import session_scope
    from manufacturing.feedback.aggregate import feedback_summary

    with session_scope(session_factory()) as session:
        summary = {style: s.to_json() for style, s in feedback_summary(session, min_samples=min_samples).items()}
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    if not summary:
        typer.echo("no fit feedback yet")
    for style, s in summary.items():
        typer.echo(f"{style}: {s['feedback']} answers")
        for region, counts in s["counts"].items():
            typer.echo(f"  {region:7s} " + "  ".join(f"{a} {n}" for a, n in counts.items()))
        for sug in s["suggestions"]:
            typer.echo(f"  suggest {sug['allowance']} {sug['change_mm']:+.1f} mm (n = {sug['samples']})")
