"""``cspms user add|list|disable|password``: accounts for staff, pattern makers and administrators (customers
register themselves on the configurator). Passwords come from a prompt or stdin, never from the command line
(where they would land in the shell history and the process list)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from web.cli.database import session_factory


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def add_user(
    email: Annotated[str, typer.Argument(help="The person's e-mail address (their sign-in name).")],
    role: Annotated[str, typer.Option(help="customer, staff, pattern_maker or admin.")] = "staff",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Add an account (at least 10 characters of password)."""
    from manufacturing.accounts.roles import Role
    from manufacturing.accounts.service import add_account
    from manufacturing.db.session import session_scope

    roles = [r.value for r in Role]
    if role not in roles:
        raise typer.BadParameter(f"{role!r} is not a role; use one of {', '.join(roles)}", param_hint="--role")
    password = _password(password_stdin)
    with session_scope(session_factory()) as session:
        principal = add_account(session, email, password, Role(role))
    typer.echo(f"added {principal.email} ({principal.role.value})")


def list_users(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every account with its role."""
    from manufacturing.accounts.service import list_accounts
    from manufacturing.db.session import session_scope

    with session_scope(session_factory()) as session:
        rows = [{"email": p.email, "role": p.role.value, "customer_id": p.customer_id} for p in list_accounts(session)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['email']:40s} {row['role']}")


def disable_user(email: Annotated[str, typer.Argument(help="The account's e-mail address.")]) -> None:
    """Disable an account: it cannot sign in and its sessions end."""
    from manufacturing.accounts.service import disable
    from manufacturing.db.session import session_scope

    with session_scope(session_factory()) as session:
        disable(session, email)
    typer.echo(f"disabled {email}")


def change_password(
    email: Annotated[str, typer.Argument(help="The account's e-mail address.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Set a new password; every session of the account ends."""
    from manufacturing.accounts.service import set_password
    from manufacturing.db.session import session_scope

    password = _password(password_stdin)
    with session_scope(session_factory()) as session:
        set_password(session, email, password)
    typer.echo(f"password changed for {email}")


def rotate_secret() -> None:
    """Embedded profile: a new session key in `<var_dir>/session_keys`; the former ones keep verifying the
    sessions they signed until `cspms secret retire`. (With CSPMS_SECRET_KEY: move it to CSPMS_SECRET_KEYS_OLD
    and set a new one.)"""
    from manufacturing.accounts.keys import key_file, rotate_key_file
    from manufacturing.settings import get_settings

    settings = get_settings()
    keyring = rotate_key_file(settings)
    typer.echo(f"signing with key {keyring.current.kid}; still verifying {', '.join(keyring.kids[1:]) or 'none'} "
               f"({key_file(settings)})")  # fmt: skip


def retire_secrets() -> None:
    """Embedded profile: drop the former session keys; the sessions they signed are refused from now on."""
    from manufacturing.accounts.keys import retire_old_keys
    from manufacturing.settings import get_settings

    retired = retire_old_keys(get_settings())
    typer.echo(f"retired {', '.join(retired)}" if retired else "no former keys to retire")


def show_secrets() -> None:
    """The ids of the session keys in use (the keys themselves are never printed)."""
    from manufacturing.accounts.keys import session_keyring
    from manufacturing.settings import get_settings

    keyring = session_keyring(get_settings())
    typer.echo(f"signing: {keyring.current.kid}")
    for kid in keyring.kids[1:]:
        typer.echo(f"verifying only: {kid}")
