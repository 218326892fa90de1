"""A real IMAP server on loopback (Dovecot from Debian) holding the office mailbox, and the e-mails partners send.

`Dovecot` simulates the programme office's shared mailbox: a throwaway configuration in a
temporary folder (listening on 127.0.0.1 at free ports, one test user in a passwd-file,
Maildir storage, a self-signed certificate for TLS), started with `dovecot -F`. Messages
are delivered with IMAP APPEND, as a mail server's delivery agent would file them.
`stop()` takes the server away (as when the mail server restarts mid-run); `start()` brings
it back on the same ports with the same mail.

`reply_with_return` builds the e-mail a project manager sends back: a reply with the
filled template (made by pmo's own template writer, `etl.demo.partner.fill_return`)
attached; options simulate what mail clients do to it (an HTML-only body, an attachment
name in RFC 2231 or MIME-encoded form, a name with path characters, no attachment).
"""

from __future__ import annotations

import datetime as dt
import email.header
import email.utils
import imaplib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from helpers_smtp import free_port, make_certificate

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "pmo", "s3cret-mailbox"

_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
disable_plaintext_auth = no
auth_mechanisms = plain login
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
"""


def available() -> bool:
    return os.path.exists(DOVECOT)


class Dovecot:
    """The office mailbox on a private Dovecot: `port` (plain/STARTTLS), `tls_port`, `cert` to trust."""

    def __init__(self) -> None:
        # Not under pytest's private tmp: Dovecot's unprivileged processes must reach it.
        self.root = Path(tempfile.mkdtemp(prefix="pmo-dovecot-"))
        os.chmod(self.root, 0o755)
        self.port, self.tls_port = free_port(), free_port()
        self.cert, self.key = make_certificate(self.root)
        os.chmod(self.key, 0o644)
        if os.geteuid() == 0:
            # As root (CI): the mail belongs to `nobody`, the services run as Dovecot's own users.
            mail_user = pwd.getpwnam("nobody")
            internal = "dovecot" if _exists("dovecot") else "nobody"
            login = "dovenull" if _exists("dovenull") else "nobody"
        else:
            mail_user = pwd.getpwuid(os.getuid())
            internal = login = mail_user.pw_name
        (self.root / "users").write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}:{mail_user.pw_uid}:{mail_user.pw_gid}::{self.root}/home/{USER}::\n")
        for sub in ("mail", "home"):
            (self.root / sub).mkdir()
            os.chown(self.root / sub, mail_user.pw_uid, mail_user.pw_gid)
        self.config = self.root / "dovecot.conf"
        self.config.write_text(_CONFIG.format(root=self.root, internal=internal, login=login, cert=self.cert,
                                              key=self.key, port=self.port, tls_port=self.tls_port))
        self.process: subprocess.Popen | None = None

    def start(self) -> "Dovecot":
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot did not start: {self.process.stderr.read().decode()} {self.log()}")
            try:
                with imaplib.IMAP4("127.0.0.1", self.port, timeout=2) as probe:
                    probe.noop()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not answer on port {self.port}: {self.log()}")

    def stop(self) -> None:
        """The server goes away: every Dovecot process ends, open connections drop."""
        if self.process is not None and self.process.poll() is None:
            # The master leaves a running imap session alive when it stops: end this
            # instance's children too, as a crash or restart of the server would.
            for child in _children(self.process.pid):
                try:
                    os.kill(child, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    # ------------------------------------------------------------- the mailbox, as a client sees it

    def client(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        imap.login(USER, PASSWORD)
        return imap

    def deliver(self, *messages: bytes | EmailMessage, folder: str = "INBOX", arrived: dt.datetime | None = None) -> None:
        """File the messages in the folder (IMAP APPEND), as the delivery agent does, received at `arrived`
        (the server's INTERNALDATE; default now)."""
        with self.client() as imap:
            imap.create(f'"{folder}"')
            for message in messages:
                data = message.as_bytes() if isinstance(message, EmailMessage) else message
                when = imaplib.Time2Internaldate(arrived) if arrived else None
                typ, detail = imap.append(f'"{folder}"', None, when, data)
                assert typ == "OK", detail

    def uids(self, folder: str = "INBOX") -> list[int]:
        with self.client() as imap:
            typ, _ = imap.select(f'"{folder}"', readonly=True)
            if typ != "OK":
                return []
            _, data = imap.uid("SEARCH", None, "ALL")
            return [int(u) for u in data[0].split()]

    def seen(self, folder: str = "INBOX") -> list[int]:
        """UIDs flagged as read (collect must not mark anything read)."""
        with self.client() as imap:
            imap.select(f'"{folder}"', readonly=True)
            _, data = imap.uid("SEARCH", None, "SEEN")
            return [int(u) for u in data[0].split()]


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
        return True
    except KeyError:
        return False


# ----------------------------------------------------------------------------- partners' e-mails


def reply_with_return(
    sender: str,
    attachments: list[tuple[str, bytes]] | None,
    sent: dt.datetime,
    subject: str = "RE: Highlight report",
    html_only: bool = False,
    message_id: str | None = None,
    name_style: str = "plain",
) -> EmailMessage:
    """The e-mail a partner sends back with the filled template attached (`attachments`: (name, bytes)).

    `sent` carries its zone (e.g. BST); `html_only` simulates Outlook with no plain-text part;
    `name_style` "rfc2231" writes the name as `filename*=utf-8''…`, "mime" as an RFC 2047
    encoded word (`=?utf-8?b?…?=`), as older clients do.
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "pmo@example.gov.uk"
    message["Subject"] = subject
    message["Date"] = email.utils.format_datetime(sent)
    message["Message-ID"] = message_id or email.utils.make_msgid(domain="partner.example")
    if html_only:
        message.set_content("<p>Please find our return attached.</p>", subtype="html")
    else:
        message.set_content("Please find our return attached.\n")
    for name, data in attachments or []:
        message.add_attachment(data, maintype="application",
                               subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=name)
        part = message.get_payload()[-1]
        if name_style == "rfc2231":
            part.set_param("filename", name, header="Content-Disposition", charset="utf-8")
        elif name_style == "mime":
            del part["Content-Disposition"]
            encoded = email.header.Header(name, "utf-8").encode()
            part["Content-Disposition"] = f'attachment; filename="{encoded}"'
    return message

