"""Deliver composed messages: to an SMTP server, to `.eml` draft files, or nowhere (dry run).

The SMTP password comes only from the environment variable `PMO_SMTP_PASSWORD`; it is
never a parameter a user types, never stored, and it is scrubbed from any server reply
that is reported (a reply quoting the credentials must not put them in a log).

Each transport's `deliver(message, file_stem)` either returns (the message went, or was
written) or raises `MessageFailed` for that message alone; the run goes on with the next.
A connection lost part-way fails the message in flight; the next message reconnects once,
and if that fails every remaining message fails at once with the reason, so a re-run sends
only what is left. Only failing to connect (or log in) before anything is sent stops the
run, with `MailServerError` (exit 1) or `ConfigError` for a refused login (exit 2).
"""

from __future__ import annotations

import base64
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Mapping, Protocol

from etl.mail.compose import DRAFT_HEADER
from etl.errors import ConfigError, MailServerError, MessageFailed
from etl.files import atomic_path
from etl.mail.outbox import DRAFT, SENT

PASSWORD_ENV = "PMO_SMTP_PASSWORD"
PLAIN, STARTTLS, SSL = "none", "starttls", "ssl"
SECURITY = (PLAIN, STARTTLS, SSL)
DEFAULT_PORTS = {PLAIN: 25, STARTTLS: 587, SSL: 465}


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send. `password` is read from the environment, never typed."""

    host: str
    port: int | None = None
    security: str = PLAIN
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    #: Certificates to trust; None means the system's (which honours SSL_CERT_FILE).
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_options(
        cls, host: str, port: int | None, security: str | None, user: str | None,
        environ: Mapping[str, str] | None = None, **kwargs,
    ) -> "SmtpConfig":
        """From the command line's options and the password in the environment."""
        environ = os.environ if environ is None else environ
        security = security or PLAIN
        if security not in SECURITY:
            raise ConfigError(f"unknown connection security {security!r}: use one of {', '.join(SECURITY)}")
        password = environ.get(PASSWORD_ENV) or None
        if user and not password:
            raise ConfigError(f"--smtp-user {user} needs the password in the environment variable {PASSWORD_ENV}")
        if port is not None and not 0 < port < 65536:
            raise ConfigError(f"--smtp-port {port} is not a port number (1 to 65535)")
        return cls(host, port, security, user or None, password if user else None, **kwargs)

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.security]

    @property
    def where(self) -> str:
        return f"{self.host}:{self.effective_port}" + ("" if self.security == PLAIN else f" ({self.security})")


def scrub(text: str, secret: str | None) -> str:
    """`text` with the secret, and the base64 forms a server might echo, replaced by ***."""
    if not secret:
        return text
    forms = {secret, base64.b64encode(secret.encode()).decode()}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, "***")
    return text


def _reply(exc: BaseException) -> str:
    """A server reply or OS error as one readable line."""
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {' '.join(detail.split())}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _refusals(exc.recipients)
    return " ".join(str(exc).split()) or type(exc).__name__


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    """Refused addresses with the server's reasons, as one line."""
    return "; ".join(f"{addr} refused: {code} {' '.join(msg.decode('utf-8', 'replace').split())}"
                     for addr, (code, msg) in refused.items())


class Transport(Protocol):
    """Where messages go. `status` is what the log records for a delivered message (None: nothing is
    recorded); `deliver` returns a note (a warning, or where the message was written) or raises
    `MessageFailed`."""

    status: str | None
    records: bool

    def __enter__(self) -> "Transport": ...

    def __exit__(self, *exc: object) -> None: ...

    def deliver(self, message: EmailMessage, file_stem: str) -> str: ...


class DryRun:
    """Shows what would go; sends, writes and records nothing."""

    status = None
    records = False

    def __enter__(self) -> "DryRun":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def deliver(self, message: EmailMessage, file_stem: str) -> str:
        return ""


class EmlFolder:
    """Writes each message as `<folder>/<file_stem>.eml`, marked unsent, for Outlook or Thunderbird."""

    status = DRAFT
    records = True

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def __enter__(self) -> "EmlFolder":
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"{self.folder}: cannot create the folder for .eml drafts: {exc}") from exc
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def deliver(self, message: EmailMessage, file_stem: str) -> str:
        if DRAFT_HEADER not in message:
            message[DRAFT_HEADER] = "1"
        path = self.folder / f"{file_stem}.eml"
        try:
            with atomic_path(path) as tmp:
                tmp.write_bytes(message.as_bytes())
        except OSError as exc:
            raise MessageFailed(f"cannot write {path}: {exc}") from exc
        return str(path)


class SmtpServer:
    """One connection to an SMTP server for the run, reopened once if it drops."""

    status = SENT
    records = True

    def __init__(self, config: SmtpConfig):
        self.config = config
        self.smtp: smtplib.SMTP | None = None
        self.down: str | None = None  # why the server is given up on for the rest of the run

    def __enter__(self) -> "SmtpServer":
        try:
            self._connect()
        except OSError as exc:  # SMTPException is an OSError
            raise MailServerError(f"cannot connect to the mail server {self.config.where}: {self._text(exc)}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()

    def _text(self, exc: BaseException) -> str:
        return scrub(_reply(exc), self.config.password)

    def _context(self) -> ssl.SSLContext:
        return self.config.ssl_context or ssl.create_default_context()

    def _connect(self) -> None:
        cfg = self.config
        if cfg.security == SSL:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.effective_port, timeout=cfg.timeout, context=self._context())
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.effective_port, timeout=cfg.timeout)
        try:
            smtp.ehlo()
            if cfg.security == STARTTLS:
                smtp.starttls(context=self._context())
                smtp.ehlo()
            if cfg.user:
                try:
                    smtp.login(cfg.user, cfg.password or "")
                except smtplib.SMTPAuthenticationError as exc:
                    raise ConfigError(
                        f"the mail server {cfg.where} refused the login for {cfg.user}: {self._text(exc)}"
                        f" (check --smtp-user and {PASSWORD_ENV})"
                    ) from None
        except BaseException:
            _quietly_close(smtp)
            raise
        self.smtp = smtp

    def _close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except OSError:  # SMTPException is an OSError
                _quietly_close(self.smtp)
            self.smtp = None

    def deliver(self, message: EmailMessage, file_stem: str) -> str:
        """Send one message; returns a warning when a copy (Cc) address was refused.

        A refused To address fails the message even when the copies went.
        """
        if self.down:
            raise MessageFailed(f"not sent: {self.down}")
        if self.smtp is None:
            try:
                self._connect()
            except OSError as exc:  # SMTPException is an OSError
                self.down = f"the mail server {self.config.where} went away: {self._text(exc)}"
                raise MessageFailed(f"not sent: {self.down}") from None
        assert self.smtp is not None
        try:
            refused = self.smtp.send_message(message)
        except smtplib.SMTPServerDisconnected as exc:
            self._lost()
            raise MessageFailed(f"connection lost while sending: {self._text(exc)}") from None
        except smtplib.SMTPException as exc:
            # The server answered (a refused recipient, a full mailbox...): the connection is
            # fine, so only the transaction is cleared for the next message.
            self._reset()
            raise MessageFailed(self._text(exc)) from None
        except OSError as exc:
            # SMTPException is an OSError too, so this comes last: the network dropped or timed out.
            self._lost()
            raise MessageFailed(f"connection lost while sending: {self._text(exc)}") from None
        if not refused:
            return ""
        reasons = _refusals(refused)
        addressed = {a.addr_spec.lower() for a in message["To"].addresses}
        if addressed & {addr.lower() for addr in refused}:
            # The copies went, but the person it is for did not get it: that is a failure.
            raise MessageFailed(f"{reasons} (copies went to the other recipients)")
        return reasons

    def _lost(self) -> None:
        """The connection is gone: drop it, so the next message reconnects."""
        _quietly_close(self.smtp)
        self.smtp = None

    def _reset(self) -> None:
        """After a refused message, clear the transaction so the next one starts clean."""
        try:
            assert self.smtp is not None
            self.smtp.rset()
        except (OSError, AssertionError):
            _quietly_close(self.smtp)
            self.smtp = None


def _quietly_close(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.close()
    except OSError:
        pass
