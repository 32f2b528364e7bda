"""``papersift digest``: send the day's e-mail digests, or preview one as HTML."""

from __future__ import annotations

import dataclasses
import os
from datetime import date
from typing import Any

import click

from papersift.cli_common import _recommender, _store, err, out
from papersift.digest import (
    DEFAULT_BASE_URL,
    DEFAULT_DAYS,
    ENV_BASE_URL,
    SECURITIES,
    DigestReport,
    SmtpSettings,
    preview,
    send_digests,
    set_subscribed,
)
from papersift.errors import UsageError
from papersift.mailer import DeliveryError


def _day(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"--day {value!r}: write the day as YYYY-MM-DD") from exc


@click.group()
def digest() -> None:
    """E-mail digests: each reader's new papers, once a day (run `send` from cron or a timer)."""


_limit = click.option(
    "--limit", type=click.IntRange(min=1), default=10, show_default=True, help="Papers per digest."
)
_days = click.option(
    "--days",
    type=click.IntRange(min=1),
    default=DEFAULT_DAYS,
    show_default=True,
    help="Candidates: papers of the N days up to --day.",
)
_day_option = click.option(
    "--day", metavar="DATE", help="The digest's day, YYYY-MM-DD (default: today)."
)
_base_url = click.option(
    "--base-url", metavar="URL", help=f"The web app's public URL, for links (${ENV_BASE_URL})."
)


@digest.command("send")
@click.option("--reader", "readers", multiple=True, metavar="NAME", help="Send to this reader.")
@click.option(
    "--all", "everyone", is_flag=True, help="Send to every user (those with an e-mail address)."
)
@click.option("--dry-run", is_flag=True, help="Say what would be sent; send and record nothing.")
@_limit
@_days
@_day_option
@click.option("--smtp-host", metavar="HOST", help="SMTP server ($PAPERSIFT_SMTP_HOST).")
@click.option(
    "--smtp-port", type=click.IntRange(1, 65535), help="Default: 587, 465 for ssl, 25 for none."
)
@click.option("--smtp-security", type=click.Choice(SECURITIES), help="Default: starttls.")
@click.option("--smtp-user", metavar="USER", help="Log in as USER ($PAPERSIFT_SMTP_PASSWORD).")
@click.option("--from", "sender", metavar="ADDRESS", help="From: address ($PAPERSIFT_SMTP_FROM).")
@_base_url
@click.pass_context
def send(
    ctx: click.Context,
    readers: tuple[str, ...],
    everyone: bool,
    dry_run: bool,
    limit: int,
    days: int,
    day: str | None,
    smtp_host: str | None,
    smtp_port: int | None,
    smtp_security: str | None,
    smtp_user: str | None,
    sender: str | None,
    base_url: str | None,
) -> None:
    """Send today's digests (at most one per reader and day; failed ones are retried by the
    next run). Exits non-zero when any digest could not be sent."""
    if everyone == bool(readers):
        raise UsageError("give --reader NAME (one or more) or --all")
    overrides: dict[str, Any] = {
        "host": smtp_host,
        "port": smtp_port,
        "security": smtp_security,
        "user": smtp_user,
        "sender": sender,
        "base_url": base_url,
    }
    smtp = dataclasses.replace(
        SmtpSettings.from_env(), **{k: v for k, v in overrides.items() if v is not None}
    )
    recommender = _recommender(ctx)
    report = send_digests(
        recommender.store,
        recommender,
        smtp,
        readers=None if everyone else list(readers),
        day=_day(day),
        limit=limit,
        days=days,
        dry_run=dry_run,
    )
    _print_report(report)
    if report.failed:
        ctx.exit(DeliveryError.exit_code)


def _print_report(report: DigestReport) -> None:
    for outcome in report.outcomes:
        if outcome.status == "failed":
            err.print(f"papersift: error: digest for {outcome.reader} not sent: {outcome.detail}")
        else:
            out.print(f"{outcome.reader}: {outcome.status} ({outcome.detail})")
    counts = ", ".join(
        f"{len(report.with_status(s))} {s}"
        for s in ("would send" if report.dry_run else "sent", "failed", "skipped")
    )
    out.print(f"digests of {report.day}: {counts}" + (" (dry run)" if report.dry_run else ""))


@digest.command("preview")
@click.argument("name")
@_limit
@_days
@_day_option
@_base_url
@click.pass_context
def preview_command(
    ctx: click.Context, name: str, limit: int, days: int, day: str | None, base_url: str | None
) -> None:
    """Print the HTML of NAME's digest (`papersift digest preview NAME > digest.html`);
    sends nothing and marks nothing as shown."""
    url = base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL
    recommender = _recommender(ctx)
    html = preview(
        recommender.store, recommender, name, base_url=url, day=_day(day), limit=limit, days=days
    )
    click.echo(html, nl=False)


@digest.command("unsubscribe")
@click.argument("name")
@click.pass_context
def unsubscribe_command(ctx: click.Context, name: str) -> None:
    """Send NAME no more digests."""
    changed = set_subscribed(_store(ctx), name, False)
    out.print(f"{name}: unsubscribed" + ("" if changed else " already"))


@digest.command("subscribe")
@click.argument("name")
@click.pass_context
def subscribe_command(ctx: click.Context, name: str) -> None:
    """Send NAME digests again (after an unsubscribe)."""
    changed = set_subscribed(_store(ctx), name, True)
    out.print(f"{name}: subscribed" + ("" if changed else " already"))
