"""Compose emails: officer-editable message templates rendered into a MIME message.

The words of every email live in `<inputs>/email_templates/<kind>.txt` (the subject on a
first line `Subject: …`, a blank line, then the plain-text body) and `<kind>.html` (the
HTML body), with `string.Template` placeholders such as `$project_name` and `$due_date`.
A file an office has not written falls back to the bundled one. Values are HTML-escaped in
the HTML part; a fragment pmo builds itself (the table of problems in a feedback email) is
passed as a `Fragment` with a text and an already-escaped HTML form.

A message is plain text with an HTML alternative and, when there is one, the workbook
attached byte for byte. Nothing here talks to a mail server.
"""

from __future__ import annotations

import importlib.resources
import html
import mimetypes
import re
import string
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Mapping, Union

from etl.errors import ConfigError

EMAIL_TEMPLATES = "email_templates"
#: The bundled wording (package data), used where the office has no template of its own.
BUNDLED_EMAIL_TEMPLATES = Path(str(importlib.resources.files("etl.mail") / EMAIL_TEMPLATES))
#: Marks a saved message as a draft, so Outlook and Thunderbird open it ready to edit and send.
DRAFT_HEADER = "X-Unsent"
_SUBJECT = re.compile(r"\ASubject:[ \t]*(?P<subject>[^\n]*)\n(?:[ \t]*\n)?", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*){2,}")
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>[ \t]*\n?")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Fragment:
    """A value with its own plain-text and (already escaped) HTML forms."""

    text: str
    html: str


Value = Union[str, int, Fragment]


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes

    @property
    def mime_type(self) -> tuple[str, str]:
        kind = _XLSX if self.name.lower().endswith(".xlsx") else mimetypes.guess_type(self.name)[0]
        main, _, sub = (kind or "application/octet-stream").partition("/")
        return main, sub


@dataclass(frozen=True)
class MailTemplate:
    """The subject, plain-text body and HTML body of one kind of email, and where each came from."""

    kind: str
    subject: str
    text: str
    html: str
    text_source: Path
    html_source: Path
    body_offset: int = 0  # lines before the plain-text body in its file (the subject line and blank)

    def render(self, values: Mapping[str, Value]) -> tuple[str, str, str]:
        """Subject, plain text and HTML with the placeholders filled in.

        Raises `ConfigError` naming the template file and the placeholder it does not know.
        """
        plain = {k: v.text if isinstance(v, Fragment) else str(v) for k, v in values.items()}
        marked = {k: v.html if isinstance(v, Fragment) else html.escape(str(v)) for k, v in values.items()}
        subject = _substitute(self.subject, plain, self.text_source, values)
        # A subject is one line: a value with a line break must not add a header.
        subject = " ".join(subject.split())
        text = _substitute(self.text, plain, self.text_source, values, self.body_offset)
        body = _substitute(self.html, marked, self.html_source, values)
        # A placeholder left empty (no escalation, no copy) leaves no gap behind.
        return subject, _BLANK_LINES.sub("\n\n", text), _EMPTY_PARAGRAPH.sub("", body)


def _substitute(text: str, mapping: Mapping[str, str], source: Path, known: Mapping[str, Value], offset: int = 0) -> str:
    try:
        return string.Template(text).substitute(mapping)
    except KeyError as exc:
        raise ConfigError(
            f"{source}: unknown placeholder ${exc.args[0]}; this email can use "
            + ", ".join(f"${k}" for k in sorted(known))
        ) from None
    except ValueError as exc:
        # A lone "$" or "$5": string.Template says where (in the part it was given); "$$" writes a dollar sign.
        where = re.sub(r"line (\d+)", lambda m: f"line {int(m[1]) + offset}", str(exc))
        raise ConfigError(f"{source}: {where} (write $$ for a dollar sign)") from None


def template_file(inputs_dir: Path | str | None, name: str) -> Path:
    """`<inputs>/email_templates/<name>` when the office has written one, else the bundled one."""
    if inputs_dir is not None:
        own = Path(inputs_dir) / EMAIL_TEMPLATES / name
        if own.exists():
            return own
    bundled = BUNDLED_EMAIL_TEMPLATES / name
    if bundled.exists():
        return bundled
    raise ConfigError(f"email template {name} not found in {Path(inputs_dir or '.') / EMAIL_TEMPLATES} or {BUNDLED_EMAIL_TEMPLATES}")


def load_mail_template(inputs_dir: Path | str | None, kind: str) -> MailTemplate:
    """Read `<kind>.txt` and `<kind>.html` (see the module docstring for their layout)."""
    text_path, html_path = template_file(inputs_dir, f"{kind}.txt"), template_file(inputs_dir, f"{kind}.html")
    try:
        text = text_path.read_text(encoding="utf-8").replace("\r\n", "\n")
        body_html = html_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read email template: {exc}") from exc
    match = _SUBJECT.match(text)
    if not match or not match["subject"].strip():
        raise ConfigError(f"{text_path}: the first line must be the subject, e.g. 'Subject: Highlight report for $project_name'")
    return MailTemplate(kind, match["subject"].strip(), text[match.end():], body_html, text_path, html_path,
                        body_offset=text[:match.end()].count("\n"))


def one_line(text: str | None) -> str:
    """A name fit for a header: white space (line breaks included) folded to single spaces."""
    return " ".join(str(text or "").split())


@dataclass
class Draft:
    """One email to go: who to, the rendered words, the attachment, and what it is about.

    `problem` says why it cannot go (no valid address, template file missing); such a draft
    is reported and recorded as failed, never sent. `notes` are told to the officer.
    """

    kind: str
    period: str
    project_id: str
    to: tuple[str, str]  # (name, address)
    cc: list[tuple[str, str]] = field(default_factory=list)
    subject: str = ""
    text: str = ""
    html: str = ""
    attachment: Attachment | None = None
    problem: str = ""
    notes: list[str] = field(default_factory=list)
    #: Identifies what the message is about, for not sending it twice (feedback: the file's SHA-256).
    attachment_sha256: str | None = None
    attachment_name: str | None = None

    @property
    def cc_addresses(self) -> str:
        return ", ".join(address for _, address in self.cc)


def build_message(draft: Draft, sender_name: str, sender_email: str, as_draft: bool = False) -> EmailMessage:
    """The MIME message: plain text, an HTML alternative, and the attachment byte for byte."""
    message = EmailMessage()
    message["Subject"] = one_line(draft.subject)
    message["From"] = formataddr((one_line(sender_name), sender_email))
    message["To"] = formataddr((one_line(draft.to[0]), draft.to[1]))
    if draft.cc:
        message["Cc"] = ", ".join(formataddr((one_line(name), address)) for name, address in draft.cc)
    message["Reply-To"] = sender_email
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender_email.rpartition("@")[2] or None)
    if as_draft:
        message[DRAFT_HEADER] = "1"
    message.set_content(draft.text)
    message.add_alternative(draft.html, subtype="html")
    if draft.attachment is not None:
        main, sub = draft.attachment.mime_type
        # A file's name can hold line breaks or other controls (any byte but / on Linux): in a
        # header they would be refused, or start a header of their own, so they become spaces.
        name = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", draft.attachment.name).split()) or "return.xlsx"
        message.add_attachment(draft.attachment.data, maintype=main, subtype=sub, filename=name)
    return message
