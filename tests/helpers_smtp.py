"""A real SMTP server on loopback (aiosmtpd) for the distribution tests, and what it received.

`MailServer` simulates the office's mail relay: it accepts every message and keeps the
envelope (MAIL FROM, RCPT TO) and the raw bytes, so tests assert on what a server really
got. It can also simulate the failures an officer meets:
- `refuse`: addresses the server rejects at RCPT TO with `550 5.1.1 mailbox unavailable`
  (a project manager who has left);
- `go_away_after`: after that many messages the server stops listening and drops the
  connection at the next MAIL FROM (the relay is restarted mid-run);
- `users`: require AUTH with these logins and passwords;
- `tls`: a self-signed certificate for STARTTLS (`starttls=True`) or implicit TLS (`ssl=True`).
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import subprocess
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (openssl), and its key."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


@dataclass
class _Handler:
    refuse: set[str] = field(default_factory=set)
    go_away_after: int | None = None
    users: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    controller: Controller | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.go_away_after is not None and len(self.received) >= self.go_away_after:
            # The relay goes away: nobody listens any more, and this connection is dropped.
            assert self.controller is not None and self.controller.server is not None
            self.controller.server.close()
            server.transport.close()
            return "421 4.3.2 Service shutting down"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if self.users.get(login) == password:
                self.logins.append(login)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


class MailServer:
    """Start with `start()`, stop with `stop()`; `received` lists what came in, in order."""

    def __init__(self, refuse=(), go_away_after: int | None = None, users: dict[str, str] | None = None,
                 tls: tuple[Path, Path] | None = None, starttls: bool = False, implicit_tls: bool = False):
        self.port = free_port()
        self.handler = _Handler({a.lower() for a in refuse}, go_away_after, dict(users or {}))
        kwargs: dict = {}
        if tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*tls)
            if implicit_tls:
                kwargs["ssl_context"] = context
            elif starttls:
                kwargs.update(tls_context=context, require_starttls=True)
        if users:
            kwargs.update(authenticator=self.handler.authenticate, auth_required=True,
                          auth_require_tls=bool(tls))
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     server_hostname="localhost", **kwargs)
        self.handler.controller = self.controller

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> "MailServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        try:
            self.controller.stop()
        except AssertionError:
            pass
