"""The ``cspms`` command line: every group and command is registered here, one way (a group is a
``typer.Typer`` added with ``add_typer``; a command is a plain function of a command module registered with
``command``). Errors print one line to stderr and exit non-zero; never a traceback."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from benchmarks.cli import bench_app
from geometry.errors import CspmsError
from web.cli import (
    accounts,
    artifacts,
    bom,
    database,
    inventory,
    lasts,
    nesting,
    orders,
    patterns,
    planning,
    qc,
    scans,
    server,
    sizes,
    styles,
    tracking,
)
from web.cli.failures import EXIT_INTERNAL_ERROR, EXIT_USER_ERROR, CommandFailedError

app = typer.Typer(
    help="CSPMS: custom shoe production management, from foot scan to a traceable pair.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _group(name: str, help_text: str, parent: typer.Typer = app) -> typer.Typer:
    group = typer.Typer(help=help_text, no_args_is_help=True)
    parent.add_typer(group, name=name)
    return group


# Commands.
app.command("bom")(bom.bom_command)
app.command("schedule")(planning.schedule_command)
app.command("kpi")(tracking.kpi_command)
app.command("settings")(server.show_settings)
app.command("serve")(server.serve)
app.command("worker")(server.worker)

# Groups, in the order ``cspms --help`` lists them.
db_app = _group("db", "Database schema (Alembic migrations).")
db_app.command("upgrade")(database.db_upgrade)
db_app.command("current")(database.db_current)

order_app = _group("order", "Orders through the whole pipeline.")
order_app.command("run")(orders.order_run)

pipeline_app = _group("pipeline", "The pipeline's runs: resume the stalled ones.")
pipeline_app.command("resume")(orders.pipeline_resume)

artifacts_app = _group("artifacts", "The artifact store: remove orphan blobs.")
artifacts_app.command("sweep")(artifacts.artifacts_sweep)

scan_app = _group("scan", "Foot scans: clean, orient and measure.")
scan_app.command("measure")(scans.measure)

size_app = _group("size", "Shoe sizes: convert between systems, size a foot.")
size_app.command("convert")(sizes.convert)
size_app.command("for")(sizes.size_for)

last_app = _group("last", "Lasts: fit to a foot, pose, grade, export.")
last_app.command("fit")(lasts.fit)
last_app.command("grade")(lasts.grade)
last_base_app = _group("base", "Base lasts: import a shop's scanned lasts by name and style; list them.", last_app)
last_base_app.command("add")(lasts.base_add)
last_base_app.command("list")(lasts.base_list)

style_app = _group("style", "Styles: list them, lay one on a last and make its patterns.")
style_app.command("list")(styles.list_styles)
style_app.command("flatten")(styles.flatten)

pattern_app = _group("pattern", "Pattern files: ASTM/AAMA DXF in, cutter DXF / HPGL / SVG / PDF out.")
pattern_app.command("check")(patterns.check)
pattern_app.command("convert")(patterns.convert)

nest_app = _group("nest", "Nesting: strip packing for rolls and sheets, hide nesting for leather.")
nest_app.command("strip")(nesting.nest_strip_command)
nest_app.command("hides")(nesting.nest_hides_command)

# The benchmarks' group (benchmarks/cli.py): the one import of the benchmarks package by production code.
app.add_typer(bench_app, name="bench")

user_app = _group("user", "Accounts: add staff, pattern makers and administrators; list; disable.")
user_app.command("add")(accounts.add_user)
user_app.command("list")(accounts.list_users)
user_app.command("disable")(accounts.disable_user)
user_app.command("password")(accounts.change_password)

secret_app = _group("secret", "Session keys: which are in use; rotate; retire the former ones.")
secret_app.command("show")(accounts.show_secrets)
secret_app.command("rotate")(accounts.rotate_secret)
secret_app.command("retire")(accounts.retire_secrets)

inventory_app = _group("inventory", "Stock, reorder points and purchasing.")
inventory_app.command("stock")(inventory.stock_command)
inventory_app.command("receive")(inventory.receive_command)
inventory_app.command("reorder")(inventory.reorder_command)
inventory_app.command("suggest")(inventory.suggest_command)
inventory_app.command("shortages")(inventory.shortages_command)
po_app = _group("po", "Purchase orders: place (from the suggestions or by hand), receive, list.", inventory_app)
po_app.command("place")(inventory.po_place_command)
po_app.command("receive")(inventory.po_receive_command)
po_app.command("list")(inventory.po_list_command)

ledger_app = _group("ledger", "Traceability ledger.")
ledger_app.command("verify")(tracking.ledger_verify_command)
ledger_app.command("seal")(tracking.ledger_seal_command)
ledger_app.command("export")(tracking.ledger_export_command)

qc_app = _group("qc", "Quality control.")
qc_app.command("report")(qc.qc_report_command)

feedback_app = _group("feedback", "Fit feedback.")
feedback_app.command("summary")(qc.feedback_summary_command)

tracking_app = _group("tracking", "Shop-floor tracking.")
tracking_app.command("listen")(tracking.mqtt_listen_command)

err_console = Console(stderr=True)


def main() -> None:
    """Entry point: run the app, turning every error into one line on stderr and an exit code."""
    try:
        # Without standalone mode click returns a command's exit code (typer.Exit) instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except CommandFailedError as fail:
        err_console.print(f"error: {fail}", highlight=False, soft_wrap=True)
        sys.exit(fail.exit_code)
    except CspmsError as exc:
        err_console.print(f"error: {exc.code}: {exc.message}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_USER_ERROR if exc.expected else EXIT_INTERNAL_ERROR)
    except typer.Exit as exit_:
        sys.exit(exit_.exit_code)
    except typer.Abort:
        err_console.print("aborted", highlight=False)
        sys.exit(130)
    except Exception as exc:  # the last line of defence: one line, not a traceback
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        err_console.print(f"error: internal_error: {type(exc).__name__}: {exc}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_INTERNAL_ERROR)
