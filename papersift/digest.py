"""E-mail digests: a reader's feed as a text and HTML message, with signed 👍/👎 and
unsubscribe links, sent over SMTP at most once per reader and day.

A digest counts as sent only once the SMTP server has accepted it, and only then are its
papers marked as shown. A failed delivery is recorded with its error and the next run tries
it again; a digest already sent for that day is never sent twice. The attempt is recorded
before the SMTP ``DATA`` command: when the run cannot learn whether the server kept the
message (see ``papersift.mailer``), the digest is not sent again either.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

import jinja2
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from papersift.accounts import app_secret
from papersift.clock import now_iso
from papersift.errors import NotFoundError, PapersiftError, UsageError
from papersift.export import paper_link
from papersift.mailer import DeliveryError, Mailer
from papersift.models import Hit, Paper, User
from papersift.rank.personal import EmptyProfileError
from papersift.recommend import FeedSettings, Recommender
from papersift.store import Store

ENV_HOST = "PAPERSIFT_SMTP_HOST"
ENV_PORT = "PAPERSIFT_SMTP_PORT"
ENV_SECURITY = "PAPERSIFT_SMTP_SECURITY"
ENV_USER = "PAPERSIFT_SMTP_USER"
ENV_PASSWORD = "PAPERSIFT_SMTP_PASSWORD"
ENV_FROM = "PAPERSIFT_SMTP_FROM"
ENV_BASE_URL = "PAPERSIFT_BASE_URL"
DEFAULT_BASE_URL = "http://localhost:8000"
SECURITIES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
DEFAULT_DAYS = 7
#: A claim on a reader's digest older than this belongs to a run that died: taken over.
CLAIM_TIMEOUT = timedelta(minutes=15)
#: 👍/👎 links of a digest work this long (seconds); unsubscribe links never expire.
FEEDBACK_MAX_AGE = 30 * 24 * 3600
FEEDBACK_SALT = "papersift.digest.feedback"
UNSUBSCRIBE_SALT = "papersift.digest.unsubscribe"
ABSTRACT_CHARS = 300
MAX_AUTHORS = 6


class BadLinkError(PapersiftError):
    """A digest link this installation did not sign (mistyped, cut short or altered)."""

    exit_code = 2


class ExpiredLinkError(BadLinkError):
    """A genuine digest link, too old to act on."""


# ---------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int | None = None  # None: 587 for starttls, 465 for ssl, 25 for none
    security: str = "starttls"  # "starttls", "ssl" (implicit TLS) or "none"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str | None = None  # From:, e.g. "papersift <digest@example.org>"
    base_url: str = DEFAULT_BASE_URL  # the web app's public URL, for the links
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.security not in SECURITIES:
            raise UsageError(f"SMTP security is {', '.join(SECURITIES)}, not {self.security!r}")
        if self.port is not None and not 0 < self.port < 65536:
            raise UsageError(f"SMTP port {self.port} is not a port number")

    @property
    def port_number(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[self.security]

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port_number}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SmtpSettings:
        """From ``PAPERSIFT_SMTP_{HOST,PORT,SECURITY,USER,PASSWORD,FROM}`` and
        ``PAPERSIFT_BASE_URL``; unset ones keep their defaults."""
        env = os.environ if environ is None else environ
        port = env.get(ENV_PORT) or None
        if port is not None and not port.strip().isdigit():
            raise UsageError(f"{ENV_PORT}={port!r} is not a port number")
        return cls(
            host=env.get(ENV_HOST) or "localhost",
            port=None if port is None else int(port),
            security=(env.get(ENV_SECURITY) or "starttls").lower(),
            user=env.get(ENV_USER) or None,
            password=env.get(ENV_PASSWORD) or None,
            sender=env.get(ENV_FROM) or None,
            base_url=env.get(ENV_BASE_URL) or DEFAULT_BASE_URL,
        )


# ---------------------------------------------------------------------------- links


@dataclass(frozen=True)
class PaperLinks:
    paper: str  # the paper itself: arXiv, its own URL, or the web app's page
    up: str
    down: str


@dataclass(frozen=True)
class DigestLinks:
    papers: Mapping[int, PaperLinks]  # by paper id
    unsubscribe: str
    feed: str  # the reader's feed in the web app ("preview in the browser")


def _serializer(secret: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=salt)


def digest_links(secret: str, reader_id: int, hits: Sequence[Hit], base_url: str) -> DigestLinks:
    """The links of one digest, signed with the installation's ``secret``."""
    base = base_url.rstrip("/")
    feedback = _serializer(secret, FEEDBACK_SALT)

    def vote(paper_id: int, verdict: str) -> str:
        return f"{base}/r/{feedback.dumps([reader_id, paper_id, verdict])}"

    papers = {
        h.paper.id: PaperLinks(
            paper_link(h.paper, base), vote(h.paper.id, "up"), vote(h.paper.id, "down")
        )
        for h in hits
    }
    unsubscribe = _serializer(secret, UNSUBSCRIBE_SALT).dumps(reader_id)
    return DigestLinks(papers, f"{base}/unsubscribe/{unsubscribe}", f"{base}/feed")


def _load(store: Store, salt: str, token: str, max_age: int | None) -> Any:
    try:
        return _serializer(app_secret(store), salt).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        days = (max_age or 0) // 86400
        raise ExpiredLinkError(
            f"this link has expired (digest links work for {days} days): "
            "use the buttons of a newer digest or of the web app"
        ) from exc
    except BadSignature as exc:
        raise BadLinkError("this link is not valid: it was cut short or altered") from exc


def _reader_name(store: Store, reader_id: int) -> str:
    for reader in store.readers():
        if reader.id == reader_id:
            return reader.name
    raise NotFoundError("the reader this link was made for is no longer in the library")


def read_feedback_link(
    store: Store, token: str, *, max_age: int = FEEDBACK_MAX_AGE
) -> tuple[str, Paper, str]:
    """Whose 👍/👎 a link is, on which paper, and which: checks the link, records nothing
    (what a GET shows before the reader confirms)."""
    payload = _load(store, FEEDBACK_SALT, token, max_age)
    if not (
        isinstance(payload, list)
        and len(payload) == 3
        and all(isinstance(v, int) for v in payload[:2])
        and payload[2] in ("up", "down")
    ):
        raise BadLinkError("this link is not a digest's 👍/👎 link")
    reader_id, paper_id, verdict = payload
    name = _reader_name(store, reader_id)
    resolved = store.resolve_paper_id(str(paper_id))  # follows papers merged since
    paper = None if resolved is None else store.get_paper(resolved)
    if paper is None:
        raise NotFoundError("the paper this link was about is no longer in the library")
    return name, paper, verdict


def apply_feedback_link(
    store: Store, recommender: Recommender, token: str, *, max_age: int = FEEDBACK_MAX_AGE
) -> tuple[str, Paper, str]:
    """Record the 👍/👎 of a digest link; returns the reader's name, the paper, the verdict."""
    name, paper, verdict = read_feedback_link(store, token, max_age=max_age)
    return name, recommender.feedback(name, str(paper.id), verdict), verdict


def read_unsubscribe_link(store: Store, token: str) -> str:
    """The name of the reader an unsubscribe link is for; changes nothing."""
    reader_id = _load(store, UNSUBSCRIBE_SALT, token, None)
    if not isinstance(reader_id, int):
        raise BadLinkError("this link is not a digest's unsubscribe link")
    return _reader_name(store, reader_id)


def unsubscribe_link(store: Store, token: str) -> str:
    """Unsubscribe the reader of an unsubscribe link (again is fine); returns the name."""
    name = read_unsubscribe_link(store, token)
    set_subscribed(store, name, False)
    return name


def set_subscribed(store: Store, reader: str, subscribed: bool) -> bool:
    """Subscribe or unsubscribe a reader; True when that changed anything."""
    reader_id = store.reader_id(reader)
    if reader_id is None:
        raise NotFoundError(f"no reader named {reader!r}")
    with store.transaction():
        if subscribed:
            return store.resubscribe_digest(reader_id)
        return store.unsubscribe_digest(reader_id, now_iso())


# ---------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class DigestItem:
    """One paper as the templates show it."""

    rank: int
    title: str
    authors: str
    date: str
    abstract: str
    reasons: list[str]
    links: PaperLinks


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("papersift", "digest_templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _item(rank: int, hit: Hit, links: PaperLinks) -> DigestItem:
    p = hit.paper
    authors = ", ".join(p.authors[:MAX_AUTHORS])
    if len(p.authors) > MAX_AUTHORS or p.authors_truncated:
        authors += " et al."
    abstract = " ".join((p.abstract or "").split())
    if len(abstract) > ABSTRACT_CHARS:
        abstract = abstract[: ABSTRACT_CHARS - 1].rsplit(" ", 1)[0] + " …"
    title = p.title or (abstract[:80] + "…" if abstract else "(untitled)")
    return DigestItem(rank, title, authors, p.date or "", abstract, list(hit.reasons), links)


def render_digest(
    reader: str, hits: Sequence[Hit], links: DigestLinks, *, day: date | None = None
) -> tuple[str, str, str]:
    """The subject, HTML and plain text of ``reader``'s digest of ``hits``."""
    count = len(hits)
    subject = f"papersift: {count} new {'paper' if count == 1 else 'papers'} for {reader}"
    items = [_item(i, h, links.papers[h.paper.id]) for i, h in enumerate(hits, start=1)]
    context = {
        "reader": reader,
        "day": day.isoformat() if day else "",
        "subject": subject,
        "items": items,
        "links": links,
    }
    env = _templates()
    html = env.get_template("digest.html").render(context)
    text = env.get_template("digest.txt").render(context)
    return subject, html, text


def digest_message_id(secret: str, reader_id: int, day: str, sender: str | None) -> str:
    """The digest's one Message-ID: the same on every attempt (a receiving system that
    sees it twice may drop the copy), not guessable from the reader and day alone."""
    token = hmac.new(secret.encode(), f"{reader_id}:{day}".encode(), hashlib.sha256)
    domain = parseaddr(sender or "")[1].rpartition("@")[2] or "papersift.invalid"
    return f"<digest.{day}.{reader_id}.{token.hexdigest()[:16]}@{domain}>"


def _message(
    smtp: SmtpSettings,
    to: str,
    subject: str,
    html: str,
    text: str,
    links: DigestLinks,
    message_id: str,
) -> EmailMessage:
    sender = smtp.sender or ""
    message = EmailMessage()
    try:
        message["Subject"] = subject
        message["From"] = sender
        message["To"] = to
    except (ValueError, TypeError) as exc:
        raise DeliveryError(f"cannot write a message from {sender!r} to {to!r}: {exc}") from exc
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # no vacation replies
    message["List-Unsubscribe"] = f"<{links.unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058: a POST
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


# ---------------------------------------------------------------------------- sending


@dataclass(frozen=True)
class DigestOutcome:
    reader: str
    status: str  # "sent", "failed", "skipped" or, in a dry run, "would send"
    detail: str  # to whom, why skipped, or the error
    paper_ids: tuple[int, ...] = ()


@dataclass
class DigestReport:
    day: date
    dry_run: bool
    outcomes: list[DigestOutcome] = field(default_factory=list)

    def with_status(self, status: str) -> list[DigestOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def failed(self) -> list[DigestOutcome]:
        return self.with_status("failed")


@dataclass
class _Run:
    store: Store
    recommender: Recommender
    smtp: SmtpSettings
    secret: str
    day: date
    feed: FeedSettings
    mailer: Mailer | None  # None: a dry run
    unsubscribed: dict[int, str]


def feed_settings(day: date, days: int = DEFAULT_DAYS, limit: int = 10) -> FeedSettings:
    """A digest's feed: papers of the ``days`` before ``day`` (and of ``day``)."""
    return FeedSettings(days=days, until=day.isoformat(), limit=limit)


def send_digests(
    store: Store,
    recommender: Recommender,
    smtp: SmtpSettings,
    *,
    readers: Sequence[str] | None = None,
    day: date,
    limit: int = 10,
    days: int = DEFAULT_DAYS,
    dry_run: bool = False,
) -> DigestReport:
    """Send the digest of ``day`` to each of ``readers`` (None: every user); one that fails
    does not stop the others. The report says, per reader, sent, failed or skipped and why."""
    if not dry_run and not smtp.sender:
        raise UsageError(f"set the sender address with --from or ${ENV_FROM}")
    recipients = _recipients(store, readers)
    report = DigestReport(day, dry_run)
    with Mailer(smtp) as mailer:
        run = _Run(
            store,
            recommender,
            smtp,
            app_secret(store),
            day,
            feed_settings(day, days, limit),
            None if dry_run else mailer,
            store.digest_unsubscribed(),
        )
        for name, user in recipients:
            report.outcomes.append(_deliver(run, name, user))
    return report


def _recipients(store: Store, names: Sequence[str] | None) -> list[tuple[str, User | None]]:
    """Who gets a digest: named readers (``None``: every user), with their account if any."""
    if names is None:
        return [(u.name, u) for u in store.users()]
    found = []
    for name in dict.fromkeys(names):
        user = store.user_by_name(name)
        if user is None and store.reader_id(name) is None:
            raise NotFoundError(f"no reader named {name!r}")
        found.append((name, user))
    return found


def _skip_reason(run: _Run, user: User) -> str | None:
    if user.reader_id in run.unsubscribed:
        return f"unsubscribed on {run.unsubscribed[user.reader_id][:10]}"
    delivery = run.store.digest_delivery(user.reader_id, run.day.isoformat())
    if delivery is not None and delivery.status == "sent":
        return f"already sent at {delivery.sent_at}"
    attempt = run.store.digest_attempt(user.reader_id, run.day.isoformat())
    if attempt is not None:
        return (
            f"handed to the SMTP server at {attempt[1]} without an answer (Message-ID "
            f"{attempt[0]}): it may have been delivered, so it is not sent again"
        )
    return None


#: Who claims digests in this process: a later run on this host sees whether it still runs.
_OWNER = f"{socket.gethostname()}:{os.getpid()}"


def _died_here(owner: str) -> bool:
    """Whether ``owner`` (host:pid) is a run of this host that is gone (killed, crashed)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) <= 0:
        return False
    if owner == _OWNER:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, someone else's
        return False
    return False


def _deliver(run: _Run, name: str, user: User | None) -> DigestOutcome:
    if user is None or not user.email:
        why = "no e-mail address" + (" (the reader has no account)" if user is None else "")
        return DigestOutcome(name, "skipped", why)
    if run.mailer is None:  # a dry run claims nothing
        return _compose_and_send(run, name, user)
    day = run.day.isoformat()
    now = datetime.now(UTC)
    stale = (now - CLAIM_TIMEOUT).isoformat(timespec="seconds")
    holder = run.store.digest_claim_owner(user.reader_id, day)
    dead = holder if holder is not None and _died_here(holder) else None
    with run.store.transaction():
        claimed = run.store.claim_digest(user.reader_id, day, now_iso(), stale, _OWNER, dead)
    if not claimed:
        return DigestOutcome(name, "skipped", "another digest run is sending it right now")
    try:
        return _compose_and_send(run, name, user)
    finally:
        with run.store.transaction():
            run.store.release_digest(user.reader_id, day)


def _compose_and_send(run: _Run, name: str, user: User) -> DigestOutcome:
    assert user.email
    if reason := _skip_reason(run, user):  # read after the claim: a run just before us
        return DigestOutcome(name, "skipped", reason)
    try:
        hits = run.recommender.feed(name, run.feed)
    except EmptyProfileError:
        return DigestOutcome(name, "skipped", "no papers or likes yet")
    if not hits:
        return DigestOutcome(name, "skipped", "no new papers")
    ids = tuple(h.paper.id for h in hits)
    to_whom = f"{len(ids)} {'paper' if len(ids) == 1 else 'papers'} to {user.email}"
    if run.mailer is None:
        return DigestOutcome(name, "would send", to_whom, ids)
    links = digest_links(run.secret, user.reader_id, hits, run.smtp.base_url)
    subject, html, text = render_digest(name, hits, links, day=run.day)
    day = run.day.isoformat()
    message_id = digest_message_id(run.secret, user.reader_id, day, run.smtp.sender)
    message = _message(run.smtp, user.email, subject, html, text, links, message_id)

    def before_data() -> None:  # committed first: a run killed during DATA leaves it behind
        with run.store.transaction():
            run.store.record_digest_attempt(user.reader_id, day, message_id, now_iso())

    try:
        run.mailer.send(message, before_data)
    except DeliveryError as exc:
        with run.store.transaction():
            if not exc.ambiguous:  # the server did not take it: the next run tries again
                run.store.clear_digest_attempt(user.reader_id, day)
            run.store.record_digest_failed(user.reader_id, day, ids, str(exc), now_iso())
        return DigestOutcome(name, "failed", str(exc), ids)
    now = now_iso()
    with run.store.transaction():
        run.store.record_digest_sent(user.reader_id, day, ids, now)
        run.store.mark_shown(user.reader_id, ids, now)
        run.store.clear_digest_attempt(user.reader_id, day)
    return DigestOutcome(name, "sent", to_whom, ids)


def preview(
    store: Store,
    recommender: Recommender,
    reader: str,
    *,
    base_url: str = DEFAULT_BASE_URL,
    day: date | None = None,
    limit: int = 10,
    days: int = DEFAULT_DAYS,
) -> str:
    """The HTML of the digest ``reader`` would get; sends, records and marks nothing."""
    reader_id = recommender.reader(reader).id
    day = day or date.today()
    hits = recommender.feed(reader, feed_settings(day, days, limit))
    links = digest_links(app_secret(store), reader_id, hits, base_url)
    return render_digest(reader, hits, links, day=day)[1]
