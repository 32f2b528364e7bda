"""E-mail digests through a real SMTP server on localhost (aiosmtpd): both parts, signed
links, one delivery per reader and day, retries after failures, skips, the CLI."""

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from markupsafe import escape

from papersift.accounts import Accounts, app_secret
from papersift.cli import main
from papersift.digest import (
    CLAIM_TIMEOUT,
    FEEDBACK_SALT,
    BadLinkError,
    DigestReport,
    ExpiredLinkError,
    SmtpSettings,
    apply_feedback_link,
    digest_links,
    feed_settings,
    read_feedback_link,
    render_digest,
    send_digests,
    set_subscribed,
    unsubscribe_link,
)
from papersift.embed import FakeEmbedder
from papersift.errors import NotFoundError, UsageError
from papersift.ingest.pipeline import ingest_file
from papersift.models import Hit, Paper
from papersift.recommend import Recommender
from papersift.search import Searcher
from papersift.store import Store, open_store
from tests.conftest import BACKENDS, copy_of_library, module_library_location

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DAY = date(2025, 12, 31)
DAYS = 800  # the examples are dated 2024 and 2025
BASE = "https://papers.example.org"
FEEDBACK = re.compile(re.escape(BASE) + r"/r/([\w.\-]+)")
UNSUBSCRIBE = re.compile(re.escape(BASE) + r"/unsubscribe/([\w.\-]+)")
Capture = pytest.CaptureFixture[str]


@dataclass
class Inbox:
    """An aiosmtpd handler: keeps what it accepts, refuses the recipients in ``refuse``."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def _check_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"digest", b"s3cret")
    return AuthResult(success=ok, handled=False)


class Server:
    """A local SMTP server that can be stopped and started again on the same port."""

    def __init__(self, port: int, **options: Any) -> None:
        self.port = port
        self.inbox = Inbox()
        self.options = options
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, **self.options
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SECRET", "SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SMTP_USER", "BASE_URL"):
        monkeypatch.delenv(f"PAPERSIFT_{name}", raising=False)
    monkeypatch.delenv("PAPERSIFT_SMTP_PASSWORD", raising=False)
    monkeypatch.delenv("PAPERSIFT_SMTP_FROM", raising=False)


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server(free_port())
    yield s
    s.stop()


@pytest.fixture
def up(server: Server) -> Server:
    server.start()
    return server


def smtp_for(server: Server, **changes: Any) -> SmtpSettings:
    fields: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": server.port,
        "security": "none",
        "sender": "papersift <digest@example.org>",
        "base_url": BASE + "/",
        "timeout": 5.0,
    }
    return SmtpSettings(**{**fields, **changes})


def _recommender(store: Store) -> Recommender:
    return Recommender(store, Searcher(store, lambda: FakeEmbedder(256), "fake-256"))


@pytest.fixture(scope="module", params=BACKENDS)
def library(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The examples, users tomas and mara (with e-mail), nomail (without), reader guest:
    built once (on each backend), copied for each test."""
    path = module_library_location(request, tmp_path_factory.mktemp("digest"))
    store = open_store(path)
    for example in sorted(EXAMPLES.iterdir()):
        if example.suffix != ".md":
            ingest_file(store, example)
    rec = _recommender(store)
    accounts = Accounts(store)
    for name, author, email in (
        ("tomas", "Tomas Okafor", "tomas@example.org"),
        ("mara", "Mara Lindqvist", "mara@example.org"),
        ("nomail", "Tomas Okafor", None),
    ):
        accounts.add_user(name, "password1", email=email)
        rec.add_reader(name, authors=[author])
    rec.add_reader("guest", authors=["Mara Lindqvist"])
    store.close()
    return path


@pytest.fixture
def library_location(request: pytest.FixtureRequest, tmp_path: Path, library: str) -> str:
    return copy_of_library(request, library, tmp_path)


@pytest.fixture
def rec(store: Store) -> Recommender:
    return _recommender(store)


def send(rec: Recommender, smtp: SmtpSettings, **options: Any) -> DigestReport:
    options = {"day": DAY, "days": DAYS, "limit": 5, **options}
    return send_digests(rec.store, rec, smtp, **options)


def statuses(report: DigestReport) -> dict[str, str]:
    return {o.reader: o.status for o in report.outcomes}


def preview_ids(rec: Recommender, name: str) -> list[int]:
    return [h.paper.id for h in rec.feed(name, feed_settings(DAY, DAYS, 5))]


def parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def reader_id(rec: Recommender, name: str) -> int:
    return rec.reader(name).id


def test_digest_has_both_parts_with_papers_reasons_and_working_links(
    rec: Recommender, up: Server
) -> None:
    expected = rec.feed("tomas", feed_settings(DAY, DAYS, 5))
    report = send(rec, smtp_for(up), readers=["tomas"])
    assert statuses(report) == {"tomas": "sent"}
    [message] = up.inbox.messages
    assert message["To"] == "tomas@example.org" and "tomas" in message["Subject"]
    text, html = parts(message)
    for hit in expected:
        assert hit.paper.title and hit.paper.title in text and str(escape(hit.paper.title)) in html
        for reason in hit.reasons:
            assert reason in text and str(escape(reason)) in html
    assert "https://arxiv.org/abs/" in text and f"{BASE}/feed" in text and f"{BASE}/feed" in html
    tokens = FEEDBACK.findall(text)
    assert tokens == FEEDBACK.findall(html) and len(tokens) == 2 * len(expected)
    [unsubscribe] = UNSUBSCRIBE.findall(text)
    assert UNSUBSCRIBE.findall(html) == [unsubscribe]
    assert message["List-Unsubscribe"] == f"<{BASE}/unsubscribe/{unsubscribe}>"
    # sent: recorded with its papers, which the feed no longer offers
    delivery = rec.store.digest_delivery(reader_id(rec, "tomas"), DAY.isoformat())
    assert delivery and delivery.status == "sent" and delivery.attempts == 1
    assert delivery.paper_ids == [h.paper.id for h in expected]
    assert not set(preview_ids(rec, "tomas")) & set(delivery.paper_ids)
    # each paper's links: 👍 then 👎, for the right reader and paper
    links = [read_feedback_link(rec.store, t) for t in tokens]
    assert [(n, p.id, v) for n, p, v in links] == [
        ("tomas", h.paper.id, v) for h in expected for v in ("up", "down")
    ]
    before = [(h.paper.id, h.score) for h in rec.feed("tomas", feed_settings(DAY, DAYS, 5))]
    name, paper, verdict = apply_feedback_link(rec.store, rec, tokens[0])
    assert (name, paper.id, verdict) == ("tomas", expected[0].paper.id, "up")
    name, paper, verdict = apply_feedback_link(rec.store, rec, tokens[3])
    assert (paper.id, verdict) == (expected[1].paper.id, "down")
    signals = {(s.paper_id, s.kind) for s in rec.store.signals(reader_id(rec, "tomas"))}
    assert {(expected[0].paper.id, "up"), (expected[1].paper.id, "down")} <= signals
    after = [(h.paper.id, h.score) for h in rec.feed("tomas", feed_settings(DAY, DAYS, 5))]
    assert after != before  # the model learnt from the 👍
    assert unsubscribe_link(rec.store, unsubscribe) == "tomas"
    assert statuses(send(rec, smtp_for(up), readers=["tomas"], day=date(2026, 1, 1))) == {
        "tomas": "skipped"
    }


def test_bad_tampered_and_expired_links_are_refused(rec: Recommender) -> None:
    store = rec.store
    tomas = reader_id(rec, "tomas")
    hits = rec.feed("tomas", feed_settings(DAY, DAYS, 2))
    secret = app_secret(store)
    links = digest_links(secret, tomas, hits, BASE)
    token = links.papers[hits[0].paper.id].up.rsplit("/", 1)[1]
    head, _, signature = token.rpartition(".")
    tampered = f"{head}.{signature[:-2]}{'AB' if signature[-2:] != 'AB' else 'CD'}"
    other = links.papers[hits[1].paper.id].up.rsplit("/", 1)[1]
    other_paper = other.split(".")[0] + token[token.index(".") :]  # signed for another paper
    forged = URLSafeTimedSerializer("another secret", salt=FEEDBACK_SALT).dumps([tomas, 1, "up"])
    unsubscribe = links.unsubscribe.rsplit("/", 1)[1]
    for bad in (tampered, other_paper, forged, unsubscribe, "nonsense", ""):
        with pytest.raises(BadLinkError):
            apply_feedback_link(store, rec, bad)

    class LastMonth(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 31 * 86400

    old = URLSafeTimedSerializer(secret, salt=FEEDBACK_SALT, signer=LastMonth)
    expired = old.dumps([tomas, hits[0].paper.id, "up"])
    with pytest.raises(ExpiredLinkError, match="expired"):
        apply_feedback_link(store, rec, expired)
    fresh = URLSafeTimedSerializer(secret, salt=FEEDBACK_SALT)
    for payload, error in (
        ([tomas, 10**9, "up"], NotFoundError),  # no such paper
        ([10**9, hits[0].paper.id, "up"], NotFoundError),  # no such reader
        ([tomas, hits[0].paper.id, "maybe"], BadLinkError),
    ):
        with pytest.raises(error):
            apply_feedback_link(store, rec, fresh.dumps(payload))
    assert not any(s.kind in ("up", "down") for s in store.signals(tomas))  # nothing recorded
    # a longer max age accepts the old link
    assert apply_feedback_link(store, rec, expired, max_age=60 * 86400)[2] == "up"


def test_rerun_sends_nothing_twice(rec: Recommender, up: Server) -> None:
    first = send(rec, smtp_for(up))
    assert statuses(first) == {"mara": "sent", "nomail": "skipped", "tomas": "sent"}
    second = send(rec, smtp_for(up))
    assert statuses(second) == {"mara": "skipped", "nomail": "skipped", "tomas": "skipped"}
    assert all(o.detail.startswith("already sent") for o in second.outcomes if o.reader != "nomail")
    assert sorted(m["To"] for m in up.inbox.messages) == ["mara@example.org", "tomas@example.org"]
    # the next day is a new digest, of papers not sent yet
    third = send(rec, smtp_for(up), readers=["mara"], day=date(2026, 1, 1))
    assert statuses(third) == {"mara": "sent"}
    mara = reader_id(rec, "mara")
    days = [d.day for d in rec.store.digest_deliveries(mara)]
    assert days == ["2026-01-01", "2025-12-31"]
    assert not set(third.outcomes[0].paper_ids) & set(first.outcomes[0].paper_ids)


def test_a_digest_another_run_is_sending_is_left_to_it(rec: Recommender, up: Server) -> None:
    """Two runs at once (cron and a person): the one that claimed a reader's digest sends
    it; a claim left by a run that died is taken over once it is old."""
    mara, tomas = reader_id(rec, "mara"), reader_id(rec, "tomas")
    now = datetime.now(UTC)
    with rec.store.transaction():  # another run, busy with mara now; one died on tomas
        assert rec.store.claim_digest(mara, DAY.isoformat(), now.isoformat(), "0")
        old = (now - CLAIM_TIMEOUT - timedelta(minutes=1)).isoformat()
        assert rec.store.claim_digest(tomas, DAY.isoformat(), old, "0")
    report = send(rec, smtp_for(up))
    assert statuses(report) == {"mara": "skipped", "nomail": "skipped", "tomas": "sent"}
    assert "another digest run" in report.outcomes[0].detail
    assert [m["To"] for m in up.inbox.messages] == ["tomas@example.org"]
    with rec.store.transaction():  # the other run finishes without sending (say it failed)
        rec.store.release_digest(mara, DAY.isoformat())
    assert statuses(send(rec, smtp_for(up), readers=["mara"])) == {"mara": "sent"}
    with rec.store.transaction():  # and no claim is left behind
        assert rec.store.claim_digest(tomas, DAY.isoformat(), now.isoformat(), "0")


def test_unreachable_server_is_recorded_and_the_next_run_sends_once(
    rec: Recommender, server: Server
) -> None:
    smtp = smtp_for(server)
    before = preview_ids(rec, "tomas")
    for attempt in (1, 2):
        report = send(rec, smtp, readers=["tomas", "mara"])
        assert statuses(report) == {"tomas": "failed", "mara": "failed"}
        for outcome in report.failed:
            assert outcome.detail == (
                f"cannot reach SMTP server 127.0.0.1:{server.port}: Connection refused"
            )
        delivery = rec.store.digest_delivery(reader_id(rec, "tomas"), DAY.isoformat())
        assert delivery and delivery.status == "failed" and delivery.attempts == attempt
        assert delivery.last_error and "Connection refused" in delivery.last_error
        assert preview_ids(rec, "tomas") == before  # not marked shown
    server.start()
    assert statuses(send(rec, smtp, readers=["tomas", "mara"])) == {"tomas": "sent", "mara": "sent"}
    assert statuses(send(rec, smtp, readers=["tomas", "mara"])) == {
        "tomas": "skipped",
        "mara": "skipped",
    }
    assert sorted(m["To"] for m in server.inbox.messages) == [
        "mara@example.org",
        "tomas@example.org",
    ]
    delivery = rec.store.digest_delivery(reader_id(rec, "tomas"), DAY.isoformat())
    assert delivery and delivery.status == "sent" and delivery.attempts == 3
    assert delivery.paper_ids == before


def test_a_refused_recipient_does_not_stop_the_others(rec: Recommender, up: Server) -> None:
    up.inbox.refuse.add("mara@example.org")  # mara comes first
    report = send(rec, smtp_for(up))
    assert statuses(report) == {"mara": "failed", "nomail": "skipped", "tomas": "sent"}
    assert report.failed[0].detail == (
        f"SMTP server 127.0.0.1:{up.port} refused the recipient mara@example.org "
        "(550 5.1.1 mailbox unavailable)"
    )
    up.inbox.refuse.clear()
    assert statuses(send(rec, smtp_for(up))) == {
        "mara": "sent",
        "nomail": "skipped",
        "tomas": "skipped",
    }
    assert sorted(m["To"] for m in up.inbox.messages) == ["mara@example.org", "tomas@example.org"]


def test_login_is_used_and_a_refused_login_fails_every_digest(rec: Recommender) -> None:
    server = Server(free_port(), authenticator=_check_login, auth_require_tls=False)
    server.start()
    try:
        wrong = smtp_for(server, user="digest", password="wrong")
        report = send(rec, wrong)
        assert statuses(report) == {"mara": "failed", "nomail": "skipped", "tomas": "failed"}
        assert all("refused the login of 'digest': 535" in o.detail for o in report.failed)
        right = smtp_for(server, user="digest", password="s3cret")
        assert statuses(send(rec, right))["tomas"] == "sent"
        assert len(server.inbox.messages) == 2
    finally:
        server.stop()


def test_a_silent_server_times_out_with_a_readable_error(rec: Recommender) -> None:
    with socket.socket() as listener:  # accepts connections, never says a word
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        silent = Server(listener.getsockname()[1])
        report = send(rec, smtp_for(silent, timeout=0.3), readers=["tomas", "mara"])
    assert [o.detail for o in report.failed] == [
        f"SMTP server 127.0.0.1:{silent.port} did not answer within 0.3 s"
    ] * 2  # the second one without waiting again


def test_unsubscribed_readers_and_readers_without_email_are_skipped(
    rec: Recommender, up: Server
) -> None:
    mara = reader_id(rec, "mara")
    links = digest_links(app_secret(rec.store), mara, [], BASE)
    token = links.unsubscribe.rsplit("/", 1)[1]
    assert unsubscribe_link(rec.store, token) == "mara"
    assert unsubscribe_link(rec.store, token) == "mara"  # twice is fine
    with pytest.raises(BadLinkError):
        unsubscribe_link(rec.store, token[:-3] + "xyz")
    report = send(rec, smtp_for(up), readers=["mara", "nomail", "guest", "tomas"])
    details = {o.reader: (o.status, o.detail) for o in report.outcomes}
    assert details["mara"][0] == "skipped" and details["mara"][1].startswith("unsubscribed")
    assert details["nomail"] == ("skipped", "no e-mail address")
    assert details["guest"] == ("skipped", "no e-mail address (the reader has no account)")
    assert details["tomas"][0] == "sent"
    with pytest.raises(NotFoundError, match="nobody"):
        send(rec, smtp_for(up), readers=["nobody"])
    assert set_subscribed(rec.store, "mara", True)
    assert statuses(send(rec, smtp_for(up), readers=["mara"])) == {"mara": "sent"}


def test_dry_run_sends_and_records_nothing(rec: Recommender, up: Server) -> None:
    before = preview_ids(rec, "tomas")
    report = send(rec, smtp_for(up, sender=None), dry_run=True)
    assert statuses(report) == {"mara": "would send", "nomail": "skipped", "tomas": "would send"}
    assert report.outcomes[2].paper_ids == tuple(before)
    assert up.inbox.messages == []
    assert rec.store.digest_deliveries(reader_id(rec, "tomas")) == []
    assert preview_ids(rec, "tomas") == before
    with pytest.raises(UsageError, match="sender"):  # a real run needs a From: address
        send(rec, smtp_for(up, sender=None))


def test_rendering_escapes_html_and_links_papers_without_arxiv_id() -> None:
    paper = Paper(7, "A <b>bold</b> & risky title", "Abstract.", ["Ada"], "2025-01-02")
    linked = Paper(8, "Linked", None, [], None, url="https://example.org/p8")
    hits = [Hit(paper, 1.0, ["close to “x” <0.5>"]), Hit(linked, 0.5)]
    links = digest_links("secret", 1, hits, BASE + "/")
    subject, html, text = render_digest("ada", hits, links)
    assert subject == "papersift: 2 new papers for ada"
    assert "A &lt;b&gt;bold&lt;/b&gt; &amp; risky title" in html and "<b>bold" not in html
    assert "&lt;0.5&gt;" in html and "close to “x” <0.5>" in text
    assert links.papers[7].paper == f"{BASE}/papers/7"
    assert links.papers[8].paper == "https://example.org/p8"
    assert "A <b>bold</b> & risky title" in text and "Ada · 2025-01-02" in text


def test_smtp_settings_from_env() -> None:
    env = {
        "PAPERSIFT_SMTP_HOST": "mail.example.org",
        "PAPERSIFT_SMTP_SECURITY": "ssl",
        "PAPERSIFT_SMTP_USER": "digest",
        "PAPERSIFT_SMTP_PASSWORD": "s3cret",
        "PAPERSIFT_SMTP_FROM": "digest@example.org",
        "PAPERSIFT_BASE_URL": "https://papers.example.org",
    }
    smtp = SmtpSettings.from_env(env)
    assert (smtp.host, smtp.port_number, smtp.user, smtp.password) == (
        "mail.example.org",
        465,
        "digest",
        "s3cret",
    )
    assert "s3cret" not in repr(smtp)
    assert SmtpSettings.from_env({}).port_number == 587
    assert SmtpSettings.from_env({"PAPERSIFT_SMTP_PORT": "2525"}).port_number == 2525
    with pytest.raises(UsageError, match="port"):
        SmtpSettings.from_env({"PAPERSIFT_SMTP_PORT": "smtp"})
    with pytest.raises(UsageError, match="security"):
        SmtpSettings.from_env({"PAPERSIFT_SMTP_SECURITY": "tls"})


# ---------------------------------------------------------------------------- the CLI


def cli(capsys: Capture, db: str, *args: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), "--model", "fake", "digest", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def cli_send(capsys: Capture, db: str, server: Server, *args: str) -> tuple[int, str, str]:
    return cli(
        capsys,
        db,
        "send",
        *("--smtp-host", "127.0.0.1", "--smtp-port", str(server.port)),
        *("--smtp-security", "none", "--from", "digest@example.org", "--base-url", BASE),
        *("--day", DAY.isoformat(), "--days", str(DAYS), "--limit", "3"),
        *args,
    )


def test_cli_send_failure_is_one_line_per_reader_then_succeeds(
    rec: Recommender, server: Server, library_location: str, capsys: Capture
) -> None:
    code, out, err = cli_send(capsys, library_location, server, "--all")
    assert code == 5
    lines = err.strip().splitlines()
    refused = f"cannot reach SMTP server 127.0.0.1:{server.port}: Connection refused"
    assert lines == [
        f"papersift: error: digest for mara not sent: {refused}",
        f"papersift: error: digest for tomas not sent: {refused}",
    ]
    assert "nomail: skipped (no e-mail address)" in out
    assert "0 sent, 2 failed, 1 skipped" in out
    server.start()
    code, out, err = cli_send(capsys, library_location, server, "--all")
    assert code == 0 and err == ""
    assert "tomas: sent (3 papers to tomas@example.org)" in out
    code, out, _ = cli_send(capsys, library_location, server, "--reader", "tomas")
    assert code == 0 and "tomas: skipped (already sent" in out
    assert len(server.inbox.messages) == 2


def test_cli_send_usage_errors(
    rec: Recommender, up: Server, library_location: str, capsys: Capture
) -> None:
    for args in ((), ("--all", "--reader", "tomas")):
        code, _, err = cli_send(capsys, library_location, up, *args)
        assert code == 2 and err.startswith("papersift: error: give --reader NAME")
    code, _, err = cli_send(
        capsys, library_location, up, "--reader", "tomas", "--day", "31.12.2025"
    )
    assert code == 2 and "YYYY-MM-DD" in err and "Traceback" not in err
    code, out, _ = cli_send(capsys, library_location, up, "--all", "--dry-run")
    assert code == 0 and "tomas: would send (3 papers to tomas@example.org)" in out
    assert up.inbox.messages == []


def test_cli_preview_prints_html_and_marks_nothing(
    rec: Recommender, library_location: str, capsys: Capture
) -> None:
    before = preview_ids(rec, "tomas")
    day = ("--day", DAY.isoformat(), "--days", str(DAYS))
    code, out, _ = cli(capsys, library_location, "preview", "tomas", "--limit", "5", *day)
    assert code == 0 and out.startswith("<!doctype html>") and out.rstrip().endswith("</html>")
    titles = [p.title or "" for p in rec.store.get_papers(before).values()]
    assert all(str(escape(t)) in out for t in titles)
    assert "http://localhost:8000/r/" in out  # $PAPERSIFT_BASE_URL unset
    assert preview_ids(rec, "tomas") == before
    assert rec.store.digest_deliveries(reader_id(rec, "tomas")) == []
    code, _, err = cli(capsys, library_location, "preview", "nobody")
    assert code == 3 and err.strip().startswith("papersift: error: no reader named 'nobody'")
    code, out, _ = cli(capsys, library_location, "unsubscribe", "tomas")
    assert code == 0 and "tomas: unsubscribed" in out


# ---------------------------------------------------------------------------- SMTP faults


@dataclass
class FaultyInbox(Inbox):
    """An inbox whose server misbehaves the ways real ones do (issue 16)."""

    #: answer 421 to every MAIL after the first of a connection (an idle connection closed)
    close_idle: bool = False
    #: close the connection quietly just after each message (its 250 sent)
    hang_up_after_message: bool = False
    #: keep the message of these recipients, then drop the connection before the 250
    drop_after_data: set[str] = field(default_factory=set)
    #: refuse the message of these recipients after DATA with this reply, once each
    refuse_data: dict[str, str] = field(default_factory=dict)
    seen_ids: list[str] = field(default_factory=list)

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        session.mails = getattr(session, "mails", 0) + 1
        if self.close_idle and session.mails > 1:
            return "421 4.4.2 idle too long, closing the connection"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.seen_ids.append(str(message["Message-ID"]))
        (to,) = envelope.rcpt_tos
        if to in self.refuse_data:
            return self.refuse_data.pop(to)
        status = await super().handle_DATA(server, session, envelope)
        if to in self.drop_after_data:
            self.drop_after_data.discard(to)
            server.transport.close()  # the 250 never reaches the client
        if self.hang_up_after_message:
            asyncio.get_running_loop().call_later(0.02, server.transport.close)
        return status


def faulty(server: Server, **faults: Any) -> Server:
    inbox = FaultyInbox(**faults)
    server.inbox = inbox
    server.start()
    return server


def inbox_to(server: Server) -> list[str]:
    return sorted(str(m["To"]) for m in server.inbox.messages)


def test_a_421_at_mail_on_a_reused_connection_is_sent_on_a_new_one(
    rec: Recommender, server: Server
) -> None:
    up = faulty(server, close_idle=True)
    report = send(rec, smtp_for(up))
    assert statuses(report) == {"mara": "sent", "nomail": "skipped", "tomas": "sent"}
    assert inbox_to(up) == ["mara@example.org", "tomas@example.org"]


def test_a_connection_the_server_closed_while_idle_is_opened_again(
    rec: Recommender, server: Server
) -> None:
    up = faulty(server, hang_up_after_message=True)
    report = send(rec, smtp_for(up))
    assert statuses(report) == {"mara": "sent", "nomail": "skipped", "tomas": "sent"}
    assert inbox_to(up) == ["mara@example.org", "tomas@example.org"]


def test_a_connection_dropped_after_the_message_never_mails_it_twice(
    rec: Recommender, server: Server
) -> None:
    up = faulty(server, drop_after_data={"mara@example.org"})
    report = send(rec, smtp_for(up))
    assert statuses(report) == {"mara": "failed", "nomail": "skipped", "tomas": "sent"}
    (failed,) = report.failed
    assert "may have been delivered" in failed.detail
    assert inbox_to(up) == ["mara@example.org", "tomas@example.org"]  # the server kept it
    again = send(rec, smtp_for(up))
    assert statuses(again) == {"mara": "skipped", "nomail": "skipped", "tomas": "skipped"}
    mara = next(o for o in again.outcomes if o.reader == "mara")
    assert "not sent again" in mara.detail and "Message-ID <digest." in mara.detail
    assert inbox_to(up) == ["mara@example.org", "tomas@example.org"]  # still once each


def test_a_message_refused_after_data_is_retried_with_the_same_message_id(
    rec: Recommender, server: Server
) -> None:
    up = faulty(server, refuse_data={"tomas@example.org": "451 4.3.0 try again later"})
    first = send(rec, smtp_for(up), readers=["tomas"])
    assert statuses(first) == {"tomas": "failed"}
    assert "451 4.3.0 try again later" in first.failed[0].detail
    assert rec.store.digest_attempt(reader_id(rec, "tomas"), DAY.isoformat()) is None
    assert statuses(send(rec, smtp_for(up), readers=["tomas"])) == {"tomas": "sent"}
    assert inbox_to(up) == ["tomas@example.org"]
    assert isinstance(up.inbox, FaultyInbox)
    first_id, second_id = up.inbox.seen_ids
    assert first_id == second_id == str(up.inbox.messages[0]["Message-ID"])
    assert first_id.startswith("<digest.2025-12-31.") and first_id.endswith("@example.org>")


def test_the_claim_of_a_killed_run_on_this_host_is_taken_over_at_once(
    rec: Recommender, up: Server
) -> None:
    mara, tomas = reader_id(rec, "mara"), reader_id(rec, "tomas")
    now = datetime.now(UTC).isoformat()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # its pid belongs to nobody now
    host = socket.gethostname()
    with rec.store.transaction():
        assert rec.store.claim_digest(mara, DAY.isoformat(), now, "0", f"{host}:{dead.pid}")
        assert rec.store.claim_digest(tomas, DAY.isoformat(), now, "0", f"{host}:{os.getppid()}")
    report = send(rec, smtp_for(up))
    assert statuses(report) == {"mara": "sent", "nomail": "skipped", "tomas": "skipped"}
    assert inbox_to(up) == ["mara@example.org"]
