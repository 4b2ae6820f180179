"""``cspms schedule``: synthetic orders on a synthetic factory: plan, ETAs, Gantt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer


def schedule_command(
    orders: Annotated[int, typer.Option(help="Synthetic pairs to schedule (orders of 1–3 pairs).", min=1)] = 40,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same orders and factory.")] = 2026,
    seconds: Annotated[float, typer.Option(help="Time limit for the solver, seconds.", min=0.1)] = 10.0,
    work_centres: Annotated[int, typer.Option(help="Work centres in the synthetic factory.", min=12)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan, ETAs and figures as JSON.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write the Gantt chart here (SVG).")] = None,
) -> None:
    """Schedule synthetic pairs (styles and options mixed) with CP-SAT, EDD and ATC as baselines."""
    from manufacturing.planning.gantt import gantt_svg
    from manufacturing.planning.scheduling import solve, validate_schedule
    from manufacturing.planning.synthetic import schedule_report, synthetic_instance

    instance, factory = synthetic_instance(orders, seed, work_centres, options=True)
    schedule = solve(instance, time_limit_s=seconds)
    problems = validate_schedule(instance, schedule)
    report: dict[str, Any] = {
        "pairs": len(instance.jobs), "operations": instance.task_count,
        "work_centres": len(factory.work_centres), **schedule_report(schedule, instance), "valid": not problems,
    }  # fmt: skip
    if out is not None:
        due = {j.pair_id: j.due for j in instance.jobs}
        out.write_text(gantt_svg(schedule, [c.code for c in factory.work_centres], due, f"{orders} pairs, seed {seed}"))
        report["gantt"] = str(out)
    if as_json:
        report["placements"] = [
            {"pair": p.pair_id, "seq": p.seq, "centre": p.centre, "start_min": p.start, "end_min": p.end}
            for p in sorted(schedule.placements, key=lambda p: (p.centre, p.start))
        ]
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(
        f"{report['pairs']} pairs, {report['operations']} operations on {report['work_centres']} work centres: "
        f"{schedule.method} ({schedule.status}) in {report['seconds']} s"
    )
    typer.echo(
        f"weighted tardiness {schedule.weighted_tardiness} (EDD {schedule.baselines.get('edd')}, "
        f"ATC {schedule.baselines.get('atc')}, bound {schedule.bound}), makespan {schedule.makespan} min, "
        f"{report['late_pairs']} late pairs"
    )
    if out is not None:
        typer.echo(f"gantt: {out}")
