"""``papersift user ...`` (accounts of the web app) and ``papersift serve``."""

from __future__ import annotations

import os
import sys

import click

from papersift.accounts import Accounts
from papersift.cli_common import _store, out
from papersift.config import Settings
from papersift.errors import UsageError


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if value := os.environ.get("PAPERSIFT_PASSWORD"):
        return value
    if not sys.stdin.isatty():
        raise UsageError(
            "no password: type it at a terminal, or give --password-stdin or $PAPERSIFT_PASSWORD"
        )
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group()
def user() -> None:
    """Accounts of the web app (each user is a reader of the same name)."""


@user.command("add")
@click.argument("name")
@click.option("--email", help="Where digests go.")
@click.option("--admin", is_flag=True, help="May add papers to the library from the web.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def user_add(
    ctx: click.Context, name: str, email: str | None, admin: bool, password_stdin: bool
) -> None:
    """Create a user (asks for the password; or --password-stdin, or $PAPERSIFT_PASSWORD)."""
    account = Accounts(_store(ctx)).add_user(
        name,
        _password(password_stdin),
        email=email,
        role="admin" if admin else "reader",
        link_reader=True,  # the operator may give an existing reader its account
    )
    out.print(f"user {account.name} ({account.role}) created")


@user.command("list")
@click.pass_context
def user_list(ctx: click.Context) -> None:
    for u in _store(ctx).users():
        out.print(f"{u.name:<24} {u.role:<7} {u.email or '-':<32} since {u.created_at[:10]}")


@user.command("remove")
@click.argument("name")
@click.pass_context
def user_remove(ctx: click.Context, name: str) -> None:
    """Remove a user with their reader: profile, feedback, sessions, tokens, searches."""
    Accounts(_store(ctx)).remove_user(name)
    out.print(f"user {name} removed")


@user.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True)
@click.pass_context
def user_password(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Set a user's password."""
    Accounts(_store(ctx)).set_password(name, _password(password_stdin))
    out.print(f"password of {name} changed")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--open-signup/--closed-signup",
    default=True,
    show_default=True,
    help="Whether anyone reaching the server may create an account.",
)
@click.option("--secure-cookies", is_flag=True, help="Session cookies over HTTPS only.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes (one per core; each holds its own vector index and model).",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    open_signup: bool,
    secure_cookies: bool,
    workers: int,
) -> None:
    """Run the web app and its JSON API (docs at /api/docs)."""
    from papersift.config import ENV_DB, ENV_INDEX, ENV_MODEL
    from papersift.web.app import ENV_SECURE, ENV_SIGNUP, run_server

    settings: Settings = ctx.find_root().obj
    _store(ctx)  # a bad --db fails here, with one line, not in the server
    os.environ.update(
        {
            ENV_DB: settings.db,
            ENV_MODEL: settings.model,
            ENV_INDEX: settings.index_kind,
            ENV_SIGNUP: "1" if open_signup else "0",
            ENV_SECURE: "1" if secure_cookies else "0",
        }
    )
    out.print(f"papersift serving {settings.db} at http://{host}:{port}/ (Ctrl-C stops)")
    run_server("papersift.web.app:app_from_environment", host, port, workers)
