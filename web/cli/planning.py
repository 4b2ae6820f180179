"""``cspms schedule`` (synthetic orders on a synthetic factory: plan, ETAs, Gantt) and ``cspms bench schedule``."""

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
    from manufacturing.planning.bench import schedule_report, synthetic_instance
    from manufacturing.planning.gantt import gantt_svg
    from manufacturing.planning.scheduling import solve, validate_schedule

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


def bench_schedule_command(
    pairs: Annotated[int, typer.Option(help="Pairs, 8 operations each.", min=1)] = 300,
    work_centres: Annotated[int, typer.Option(help="Work centres.", min=8)] = 20,
    seconds: Annotated[float, typer.Option(help="Time limit, seconds (model build included).", min=0.5)] = 10.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2026,
    out: Annotated[Path | None, typer.Option(help="Also write the JSON report here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report on stdout.")] = False,
) -> None:
    """300 pairs × 8 operations on 20 work centres within 10 s: CP-SAT against EDD, ATC and its own bound."""
    from manufacturing.planning.bench import run_schedule_benchmark

    report = run_schedule_benchmark(pairs, work_centres, seconds, seed)
    text = json.dumps(report, indent=2)
    if out is not None:
        out.write_text(text)
    if as_json:
        typer.echo(text)
        return
    wt = report["weighted_tardiness"]
    typer.echo(
        f"{report['pairs']} pairs × {report['operations_per_pair']} ops on {report['work_centres']} centres in "
        f"{report['wall_s']} s ({report['method']}, {report['status']}): weighted tardiness {wt['cp_sat']} "
        f"(EDD {wt['edd']}, ATC {wt['atc']}, bound {wt['cp_sat_bound']}), valid {report['valid']}"
    )
