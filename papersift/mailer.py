"""Handing digests to an SMTP server, so that nobody is missed and nobody gets one twice.

One connection serves a whole run. Its weak spots, found with a scripted server (issue 16):

* A server may close a connection that sat idle while the next digest was ranked: the next
  ``MAIL`` gets ``421`` or finds the socket closed. Nothing was handed over yet, so the
  message is sent again at once on a new connection (a reader was missed by a run before).
* Once the end of the message is sent, a dropped connection or a silence leaves it unknown
  whether the server kept it (a reader got a digest twice before: the server had kept it and
  dropped the connection before its ``250``). The caller records the attempt just before
  ``DATA`` (``before_data``), and such a failure is ``ambiguous``: it is not sent again.
* Any reply the server does give (``4xx``/``5xx`` at ``MAIL``, ``RCPT`` or after the
  message), and a connection lost while the message was still being sent, mean the server
  did not take it: the next run tries again.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import getaddresses
from typing import TYPE_CHECKING

from papersift.errors import PapersiftError

if TYPE_CHECKING:
    from papersift.digest import SmtpSettings


class DeliveryError(PapersiftError):
    """The SMTP server could not be reached, or did not accept a digest. ``ambiguous``: the
    message was sent whole and the answer never came, so the server may have kept it."""

    exit_code = 5

    def __init__(self, message: str, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.ambiguous = ambiguous


class _Retry(Exception):
    """The server closed a connection we had used before, before taking anything."""


def describe_smtp_error(exc: BaseException, smtp: SmtpSettings) -> str:
    """One line a person can act on, for whatever sending a message raised."""
    where = smtp.address
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"SMTP server {where} refused the login of {smtp.user!r}: {_answer(exc)}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(
            f"{address} ({code} {_text(msg)})" for address, (code, msg) in exc.recipients.items()
        )
        return f"SMTP server {where} refused the recipient {refused}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"SMTP server {where} answered {_answer(exc)}"
    if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
        return f"SMTP server {where} did not answer within {smtp.timeout:g} s"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"SMTP server {where} closed the connection" + (f" ({exc})" if str(exc) else "")
    if isinstance(exc, smtplib.SMTPNotSupportedError) and smtp.security == "starttls":
        return f"SMTP server {where}: {exc} (try --smtp-security ssl or none)"
    if isinstance(exc, smtplib.SMTPException):
        return f"SMTP server {where}: {exc}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS with SMTP server {where} failed: {exc.reason or exc}"
    if isinstance(exc, socket.gaierror):
        return f"cannot find SMTP server {smtp.host}: {exc.strerror or exc}"
    if isinstance(exc, OSError):
        return f"cannot reach SMTP server {where}: {exc.strerror or exc}"
    return f"cannot send through SMTP server {where}: {exc}"


def _text(message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return " ".join(text.split())


def _answer(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"


def _wire_bytes(message: EmailMessage) -> bytes:
    """The message as DATA carries it: CRLF lines, leading dots doubled, ending in ``.``."""
    raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    raw = re.sub(rb"(?m)^\.", b"..", raw)
    if not raw.endswith(b"\r\n"):
        raw += b"\r\n"
    return raw + b".\r\n"


class Mailer:
    """One SMTP connection for a whole run, opened for the first message and again after a
    failed one. When the server cannot be reached or refuses the login, every later message
    fails at once with that error (instead of waiting for the server again)."""

    def __init__(self, smtp: SmtpSettings) -> None:
        self.smtp = smtp
        self._conn: smtplib.SMTP | None = None
        self._used = False  # the connection carried a message already
        self._broken: str | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(self, message: EmailMessage, before_data: Callable[[], None]) -> None:
        """Returns once the server accepted ``message``; ``DeliveryError`` otherwise.
        ``before_data`` runs once the envelope is accepted, just before ``DATA``."""
        for _ in range(2):
            conn = self._connection()
            try:
                self._envelope(conn, message)
            except _Retry:
                self.close()
                continue
            except (OSError, ValueError) as exc:  # smtplib's and ssl's errors are OSErrors
                self.close()
                raise DeliveryError(describe_smtp_error(exc, self.smtp)) from exc
            before_data()
            self._data(conn, message)
            self._used = True
            return
        raise DeliveryError(f"SMTP server {self.smtp.address} closed two connections at MAIL")

    def _connection(self) -> smtplib.SMTP:
        if self._broken is not None:
            raise DeliveryError(self._broken)
        if self._conn is None:
            try:
                self._conn = self._connect()
            except (OSError, ValueError) as exc:
                self._broken = describe_smtp_error(exc, self.smtp)
                raise DeliveryError(self._broken) from exc
            self._used = False
        return self._conn

    def _envelope(self, conn: smtplib.SMTP, message: EmailMessage) -> None:
        """MAIL and RCPT; ``_Retry`` when a connection used before was closed meanwhile."""
        sender = getaddresses([str(message["From"])])[0][1]
        recipients = [address for _, address in getaddresses([str(message["To"])])]
        options = (
            ["SMTPUTF8", "BODY=8BITMIME"] if not (sender + "".join(recipients)).isascii() else []
        )
        try:
            conn.ehlo_or_helo_if_needed()
            code, answer = conn.mail(sender, options)
        except smtplib.SMTPServerDisconnected:
            if self._used:
                raise _Retry() from None
            raise
        if code == 421 and self._used:
            raise _Retry()
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, answer, sender)
        for address in recipients:
            code, answer = conn.rcpt(address)
            if code not in (250, 251):
                raise smtplib.SMTPRecipientsRefused({address: (code, answer)})

    def _data(self, conn: smtplib.SMTP, message: EmailMessage) -> None:
        """DATA; a failure after the whole message went out is ``ambiguous``."""
        try:
            code, answer = conn.docmd("DATA")
            if code != 354:
                raise smtplib.SMTPDataError(code, answer)
            conn.send(_wire_bytes(message))  # raises before the final "." is out, if at all
        except (OSError, ValueError) as exc:
            self.close()
            raise DeliveryError(describe_smtp_error(exc, self.smtp)) from exc
        try:
            code, answer = conn.getreply()
        except OSError as exc:
            self.close()
            detail = describe_smtp_error(exc, self.smtp)
            raise DeliveryError(
                f"{detail} after the message was sent: it may have been delivered",
                ambiguous=True,
            ) from exc
        if code != 250:
            self.close()
            refused = smtplib.SMTPDataError(code, answer)
            raise DeliveryError(describe_smtp_error(refused, self.smtp)) from refused

    def _connect(self) -> smtplib.SMTP:
        s = self.smtp
        conn: smtplib.SMTP
        if s.security == "ssl":
            context = ssl.create_default_context()
            conn = smtplib.SMTP_SSL(s.host, s.port_number, timeout=s.timeout, context=context)
        else:
            conn = smtplib.SMTP(s.host, s.port_number, timeout=s.timeout)
        try:
            if s.security == "starttls":
                conn.starttls(context=ssl.create_default_context())
            if s.user:
                conn.login(s.user, s.password or "")
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except OSError:
            conn.close()
