"""Distribution: decide who gets which email for send, chase and feedback, then deliver and log each.

- send: one email per line of `outputs/<period>/distribution.csv` (written by `pmo
  templates`), to the project manager, copying the internal representative, with the
  template attached byte for byte.
- chase: every project whose return is Missing after its due date (`etl.cycle.status`), copying
  the internal representative and, once `chase_escalate_after_days` have passed, the
  `chase_escalation_email` address; the template is attached again when it is there.
- feedback: each project whose latest file for the period was rejected (and not followed by
  an accepted one) gets the exact problems from the store, with its file attached back.

Not twice: a project already sent its template this period (send), already chased today
(chase), or already sent feedback on that very file (feedback, by SHA-256) is skipped
unless `resend`. Every outcome is logged in the store as it happens (`etl.mail.outbox`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from etl.contracts import fields as F
from etl.rules import periods
from etl.mail.compose import (
    Attachment, Draft, Fragment, MailTemplate, Value, build_message, load_mail_template, one_line,
)
from etl.config import Settings
from etl.errors import ConfigError, Problem
from etl.mail.mailer import DryRun, EmlFolder, SmtpConfig, SmtpServer, Transport
from etl.errors import MessageFailed
from etl.files import csv_unescaped
from etl.terminal import terminal_safe
from etl.mail.outbox import FAILED, SENT, messages, record_message
from etl.rules.periods import Period
from etl.rules.dates import long_date, uk_date
from etl.store.db import ACCEPTED, REJECTED, Store, sha256_of
from etl.cycle.templates import DISTRIBUTION_HEADERS, TEMPLATE_SUFFIX, distribution_path, template_name, templates_folder
from etl.rules.values import clean_text, is_email, parse_date

if TYPE_CHECKING:
    import pandas as pd

SEND, CHASE, FEEDBACK = "send", "chase", "feedback"


@dataclass
class MailPlan:
    """The emails a command would send, and what the officer should know besides."""

    kind: str
    period: Period
    drafts: list[Draft]
    notes: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """What happened to one email: `status` sent, failed or draft (None on a dry run)."""

    draft: Draft
    status: str | None
    detail: str = ""  # the error, a partial-refusal warning, or where the draft was written


# ------------------------------------------------------------------ shared parts


def _common_values(settings: Settings, period: Period, project_id: str, project_name: str,
                   to: tuple[str, str], cc: list[tuple[str, str]], due: dt.date | None) -> dict[str, Value]:
    copied = ", ".join(name or address for name, address in cc)
    return {
        "project_id": project_id,
        "project_name": project_name,
        "period": str(period),
        "period_label": period.label,
        "recipient_name": to[0] or "colleague",
        "copy_to": copied,
        "copy_note": f"A copy of this email goes to {copied}." if copied else "",
        "due_date": long_date(due) if due else "",
        "due_date_short": uk_date(due) if due else "",
        "office_name": settings.office_name,
        "office_email": settings.office_email,
        "authority_name": settings.authority_name,
    }


def _recipients(pm_name: object, pm_email: object, cc: Iterable[tuple[object, object, str]]) -> tuple[
        tuple[str, str], list[tuple[str, str]], str, list[str]]:
    """(to, cc, problem, notes): a bad project manager address stops the email; a bad copy address is dropped."""
    to = (one_line(clean_text(pm_name)), clean_text(pm_email) or "")
    problem = "" if is_email(to[1]) else (
        f"no valid project manager email in the portfolio ({to[1]!r})" if to[1] else "no project manager email in the portfolio"
    )
    copies: list[tuple[str, str]] = []
    notes: list[str] = []
    for name, address, role in cc:
        address = clean_text(address) or ""
        if not address:
            continue
        if is_email(address):
            if address.lower() not in {a.lower() for _, a in [to, *copies]}:
                copies.append((one_line(clean_text(name)), address))
        else:
            notes.append(f"{role} email {address!r} is not a valid address: not copied")
    return to, copies, problem, notes


def _draft(template: MailTemplate, period: Period, project_id: str, values: Mapping[str, Value],
           to: tuple[str, str], cc: list[tuple[str, str]], problem: str, notes: list[str],
           attachment: Attachment | None = None, sha256: str | None = None) -> Draft:
    subject, text, body_html = template.render(values)
    return Draft(
        kind=template.kind, period=str(period), project_id=project_id, to=to, cc=cc, subject=subject, text=text,
        html=body_html, attachment=attachment, problem=problem, notes=notes,
        attachment_sha256=sha256 or (_sha(attachment.data) if attachment else None),
        attachment_name=attachment.name if attachment else None,
    )


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def covering(frequency: str | None, period: Period) -> str:
    """The months a return covers, as a letter says it: `September 2023`, `July to September 2023`."""
    try:
        start, _ = periods.reporting_window(periods.normalise_frequency(frequency) or periods.MONTHLY, period)
    except (KeyError, ValueError):
        return period.label
    first = Period.of(start)
    if first == period:
        return period.label
    return f"{first.label if first.year != period.year else f'{start:%B}'} to {period.label}"


def _report_kind(report_type: str) -> str:
    return "full highlight report" if report_type == periods.FULL else "simplified highlight report"


# ------------------------------------------------------------------ send


def read_distribution(path: Path | str, period: Period) -> list[dict[str, str]]:
    """The distribution list `pmo templates` wrote, as rows keyed by its headers."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: no distribution list for {period}; run `pmo templates --period {period}` first")
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [h for h in DISTRIBUTION_HEADERS if h not in (reader.fieldnames or [])]
            if missing:
                raise ConfigError(f"{path}: not a distribution list: no column(s) {', '.join(missing)}")
            # pmo wrote it with `write_csv`: undo its formula guard to get the values back.
            return [{k: csv_unescaped(v or "") for k, v in row.items() if k is not None} for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"{path}: cannot read the distribution list: {exc}") from exc


def plan_send(outputs: Path | str, period: Period, settings: Settings, inputs: Path | str | None) -> MailPlan:
    """One email per template on the period's distribution list."""
    listing = distribution_path(outputs, period)
    template = load_mail_template(inputs, SEND)
    drafts = []
    for row in read_distribution(listing, period):
        project_id = row["Project ID"].strip()
        to, cc, problem, notes = _recipients(
            row["Recipient Name"], row["Recipient Email"], [(row["Copy To"], row["Copy To Email"], "internal representative")]
        )
        try:
            due = parse_date(row["Due Date"])
        except ValueError as exc:
            due, problem = None, problem or f"distribution list: Due Date {exc}"
        attachment = None
        path = listing.parent / row["File"]  # the list names files relative to its own folder
        try:
            attachment = Attachment(path.name, path.read_bytes())
        except OSError:
            problem = problem or f"template {path} not found; run `pmo templates --period {period}` again"
        values = _common_values(settings, period, project_id, row["Project Name"], to, cc, due)
        values.update(report_type=row["Report Type"], report_kind=_report_kind(row["Report Type"]),
                      frequency=row["Frequency"].lower(), covering=covering(row["Frequency"], period),
                      attachment_name=path.name)
        drafts.append(_draft(template, period, project_id, values, to, cc, problem, notes, attachment))
    return MailPlan(SEND, period, drafts)


# ------------------------------------------------------------------ chase


def plan_chase(portfolio: pd.DataFrame, store: Store, period: Period, as_of: dt.date, settings: Settings,
               inputs: Path | str | None, outputs: Path | str) -> MailPlan:
    """A reminder to every project whose return is Missing after its due date on `as_of`."""
    from etl.cycle.status import period_status

    status = period_status(portfolio, store, period, as_of, settings)
    late = status[(status["status"] == periods.MISSING) & (status["days_overdue"] > 0)]
    escalation = clean_text(settings.chase_escalation_email)
    template = load_mail_template(inputs, CHASE)
    drafts = []
    for project_id, row in late.iterrows():
        days = int(row["days_overdue"])
        escalate = bool(escalation) and days >= settings.chase_escalate_after_days
        copies = [(row["internal_representative"], row["internal_representative_email"], "internal representative")]
        if escalate:
            copies.append(("", escalation, "escalation"))
        to, cc, problem, notes = _recipients(row["project_manager"], row["project_manager_email"], copies)
        path = templates_folder(outputs, period) / template_name(project_id, period)
        attachment = Attachment(path.name, path.read_bytes()) if path.exists() else None
        values = _common_values(settings, period, project_id, row["project_name"], to, cc, row["due_date"])
        values.update(
            days_overdue=days,
            day_or_days="day" if days == 1 else "days",
            report_kind=_report_kind(row["report_type"]),
            as_of=long_date(as_of),
            attachment_note=(f"The template is attached again ({path.name})." if attachment
                             else "If you need the template again, reply to this email."),
            escalation_note=(f"As the return is now {days} days overdue, this reminder is also copied to {escalation}."
                             if escalate else ""),
            rejected_note=("We received a file from you for this period but could not accept it; "
                           "please see our feedback email for what to correct." if row["rejected_files"] else ""),
        )
        drafts.append(_draft(template, period, project_id, values, to, cc, problem, notes, attachment))
    plan = MailPlan(CHASE, period, drafts)
    if not escalation and any(int(d) >= settings.chase_escalate_after_days for d in late["days_overdue"]):
        plan.notes.append(
            f"some returns are {settings.chase_escalate_after_days}+ days overdue but no chase_escalation_email "
            "is set in pmo.toml: nobody else was copied"
        )
    return plan


# ------------------------------------------------------------------ feedback


_PROBLEM_KEYS = {f for f in Problem.__dataclass_fields__}


def _problem(item: Mapping[str, Any]) -> Problem:
    data = {k: v for k, v in item.items() if k in _PROBLEM_KEYS}
    data.setdefault("message", "")
    return Problem(**data)


def _shown(value: object) -> str:
    return "(blank)" if value is None or value == "" else str(value)


# Inline styles: mail clients (Outlook above all) ignore style sheets but honour these.
_TH = "background:#1F3864;color:#FFFFFF;text-align:left;padding:4px 6px;border:1px solid #BFBFBF"
_TD = "padding:4px 6px;border:1px solid #BFBFBF;vertical-align:top"


def problems_fragment(items: list[Mapping[str, Any]]) -> Fragment:
    """The problems as a numbered plain-text list and an HTML table: where, field, value, what is wrong, how to fix.

    Errors come first, then warnings (marked); values are shown as typed, `(blank)` for none.
    """
    problems = sorted((_problem(i) for i in items), key=lambda p: p.severity != "error")
    lines, rows = [], []
    for number, p in enumerate(problems, start=1):
        where = ", ".join(x for x in (f"sheet '{p.sheet}'" if p.sheet else "", f"cell {p.cell}" if p.cell else "",
                                      f"row {p.row}" if p.row is not None and not p.cell else "") if x) or "the file"
        spec = F.FIELD_BY_NAME.get(p.field) or F.TABLE_BY_NAME.get(p.field)
        label = spec.label if spec else p.field
        flag = "" if p.severity == "error" else f" [{p.severity}]"
        shown = _shown(p.value) if p.value is not None or p.cell else ""
        lines.append(f"{number}. {where}" + (f", field {label} ({p.field})" if spec else f", field {label}" if label else "")
                     + flag)
        lines.append(f"   Problem: {p.message}")
        if shown:
            lines.append(f"   You entered: {shown}")
        if p.fix:
            lines.append(f"   How to fix: {p.fix}")
        cells = [str(number), html.escape(where), html.escape(label), html.escape(shown),
                 html.escape(p.message + flag), html.escape(p.fix)]
        rows.append("<tr>" + "".join(f'<td style="{_TD}">{c}</td>' for c in cells) + "</tr>")
    header = "".join(f'<th style="{_TH}">{h}</th>' for h in ("#", "Where", "Field", "You entered", "Problem", "How to fix"))
    table = (
        '<table cellspacing="0" style="border-collapse:collapse;font-size:10pt">'
        f"<thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return Fragment("\n".join(lines), table)


def files_needing_feedback(store: Store, period: Period) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(latest rejected file of each project with no accepted file after it, rejected files of no known project)."""
    latest_rejected: dict[str, dict[str, Any]] = {}
    last_accepted: dict[str, int] = {}
    unknown = []
    for offer in store.files(period):
        project_id = offer["project_id"]
        if offer["outcome"] == REJECTED:
            if project_id:
                latest_rejected[project_id] = offer
            else:
                unknown.append(offer)
        elif offer["outcome"] == ACCEPTED and project_id:
            last_accepted[project_id] = offer["id"]
    due = [o for pid, o in sorted(latest_rejected.items()) if last_accepted.get(pid, 0) < o["id"]]
    return due, unknown


def _file_back(offer: Mapping[str, Any], store: Store) -> tuple[Attachment | None, str]:
    """The rejected file as it was offered (or its archived copy: a shared store keeps e-mailed
    files, wherever they were offered), or why it cannot be attached."""
    path = Path(offer["path"] or offer["name"])
    try:
        if sha256_of(path) == offer["sha256"]:
            return Attachment(offer["name"], path.read_bytes()), ""
        why = f"{path} has changed since it was checked"
    except OSError:
        why = f"{path} is no longer there"
    kept = store.archived(offer["sha256"])
    return (Attachment(offer["name"], kept[1]), "") if kept is not None else (None, why)


def plan_feedback(portfolio: pd.DataFrame, store: Store, period: Period, settings: Settings,
                  inputs: Path | str | None) -> MailPlan:
    """The problems in each project's rejected return, to its project manager, file attached back."""
    from etl.cycle.portfolio import deadline

    due_on = deadline(period, settings)
    due, unknown = files_needing_feedback(store, period)
    template = load_mail_template(inputs, FEEDBACK)
    plan = MailPlan(FEEDBACK, period, [])
    plan.notes += [f"{o['name']}: rejected, but it could not be matched to a project; nobody to send feedback to"
                   for o in unknown]
    for offer in due:
        project_id = offer["project_id"]
        if project_id in portfolio.index:
            row = portfolio.loc[project_id]
            to, cc, problem, notes = _recipients(
                row["project_manager"], row["project_manager_email"],
                [(row["internal_representative"], row["internal_representative_email"], "internal representative")],
            )
            name = row["project_name"]
        else:
            to, cc, problem, notes = ("", ""), [], f"{project_id} is not in the portfolio: no one to send feedback to", []
            name = project_id
        attachment, missing = _file_back(offer, store)
        if missing:
            notes.append(f"{offer['name']} not attached: {missing}")
        errors = [p for p in offer["problems"] if p.get("severity", "error") == "error"]
        values = _common_values(settings, period, project_id, name, to, cc, due_on)
        values.update(
            file_name=offer["name"],
            offered_on=offer["offered_at"][:10],
            problem_count=len(errors) or len(offer["problems"]),
            problems=problems_fragment(offer["problems"]),
            attachment_note=(f"Your file {offer['name']} is attached so you can correct it." if attachment else
                             f"We could not attach your file back ({missing}); please correct your own copy."),
        )
        draft = _draft(template, period, project_id, values, to, cc, problem, notes, attachment, offer["sha256"])
        draft.attachment_name = offer["name"]  # the file fed back, attached or not
        plan.drafts.append(draft)
    return plan


# ------------------------------------------------------------------ not twice


def claim_key(draft: Draft) -> str:
    """The key a run claims a message under while it sends it (two runs planning the same
    message claim the same key)."""
    key = f"{draft.kind}|{draft.period}|{draft.project_id}"
    return key + (f"|{draft.attachment_sha256}" if draft.kind == FEEDBACK else "")


def _sent_before(draft: Draft, sent: list[dict[str, Any]]) -> Outcome | None:
    """A skip, saying when, if this message already went: a template once a period, a chase
    once a day, feedback once per file."""
    earlier = [m for m in sent if m["project_id"] == draft.project_id]
    if draft.kind == CHASE:
        today_text = dt.datetime.now(dt.timezone.utc).date().isoformat()
        earlier = [m for m in earlier if m["created_at"][:10] == today_text]
    elif draft.kind == FEEDBACK:
        earlier = [m for m in earlier if m["attachment_sha256"] == draft.attachment_sha256]
    if not earlier:
        return None
    return Outcome(draft, None, f"already sent {earlier[-1]['created_at'][:10]} to {earlier[-1]['to_addr']}")


def pending(plan: MailPlan, store: Store, resend: bool = False) -> tuple[list[Draft], list[Outcome]]:
    """(drafts still to go, those skipped as already sent — as outcomes saying when)."""
    if resend:
        return list(plan.drafts), []
    sent = messages(store, plan.kind, str(plan.period), SENT)
    to_go, skipped = [], []
    for draft in plan.drafts:
        earlier = _sent_before(draft, sent)
        if earlier is not None:
            skipped.append(earlier)
        else:
            to_go.append(draft)
    return to_go, skipped


# ------------------------------------------------------------------ delivery


def choose_transport(dry_run: bool, eml_dir: Path | str | None, smtp_host: str | None, smtp_port: int | None,
                     security: str | None, smtp_user: str | None,
                     environ: Mapping[str, str] | None = None) -> Transport:
    """Dry run, else `.eml` drafts, else the SMTP server (password from PMO_SMTP_PASSWORD)."""
    if dry_run:
        return DryRun()
    if eml_dir is not None:
        return EmlFolder(eml_dir)
    if not smtp_host:
        raise ConfigError(
            "say where the emails go: --smtp-host HOST (or PMO_SMTP_HOST) to send them, "
            "--eml DIR to write drafts, or --dry-run to list them"
        )
    return SmtpServer(SmtpConfig.from_options(smtp_host, smtp_port, security, smtp_user, environ))


def file_stem(draft: Draft) -> str:
    """`<Project ID>_<YYYY-MM>_<kind>`, safe as a file name."""
    return template_name(draft.project_id, draft.period).removesuffix(TEMPLATE_SUFFIX) + f"_{draft.kind}"


def deliver(drafts: list[Draft], transport: Transport, store: Store | None, settings: Settings,
            on_outcome: Callable[[Outcome], None] | None = None, resend: bool = False) -> list[Outcome]:
    """Send (or write, or list) each draft; each outcome is logged in the store as soon as it is known.

    Each message is claimed in the store first, and looked up again once claimed: one
    another run is sending right now, or sent since this run planned, is skipped, with an
    outcome saying so (unless `resend`).
    """
    outcomes = []
    claiming = transport.records and store is not None
    with transport:
        for draft in drafts:
            key = claim_key(draft) if claiming and not draft.problem else None
            skip = None
            if key is not None and not store.claim_message(key):
                skip = Outcome(draft, None, "another pmo run is sending it right now")
            elif key is not None and not resend:
                skip = _sent_before(draft, messages(store, draft.kind, str(draft.period), SENT, draft.project_id))
                if skip is not None:
                    store.release_claim(key)
            if skip is not None:
                outcomes.append(skip)
                if on_outcome:
                    on_outcome(skip)
                continue
            if draft.problem:
                outcome = Outcome(draft, FAILED, draft.problem)
            else:
                message = build_message(draft, settings.office_name, settings.office_email)
                try:
                    outcome = Outcome(draft, transport.status, transport.deliver(message, file_stem(draft)))
                except MessageFailed as exc:
                    outcome = Outcome(draft, FAILED, str(exc))
            if transport.records and store is not None:
                # A failure's reason, or a partial refusal's warning; a draft's detail is only its path.
                error = outcome.detail if outcome.status in (FAILED, SENT) else None
                record_message(store, draft, outcome.status or FAILED, error or None, key)
            outcomes.append(outcome)
            if on_outcome:
                on_outcome(outcome)
    return outcomes


def describe(outcome: Outcome) -> str:
    """One line per message for the officer: what, to whom, and what happened."""
    draft = outcome.draft
    verb = {SENT: "sent", FAILED: "FAILED", "draft": "draft", None: "would send"}[outcome.status]
    if outcome.status is None and outcome.detail:
        verb = "skipped"
    who = f"to {draft.to[1] or '(nobody)'}" + (f" cc {draft.cc_addresses}" if draft.cc else "")
    attached = f" [{draft.attachment.name}, {len(draft.attachment.data):,} bytes]" if draft.attachment else ""
    # Each line is made terminal-safe on its own: a value's line break cannot start a line.
    line = terminal_safe(f"{verb:<10} {draft.project_id:<10} {who}: {draft.subject}{attached}")
    extra = [outcome.detail] if outcome.detail else []
    return "\n".join([line, *(terminal_safe(f"           {n}") for n in [*extra, *draft.notes])])
