"""`pmo collect` and saved e-mails: returns taken from a real IMAP server (Dovecot on loopback).

Each test sets up a small office (four example projects, September 2023, returns due
Friday 13 October 2023), a private Dovecot holding the office mailbox, and partners'
replies made from pmo's own templates (`tests/helpers_imap.reply_with_return`). The
assertions are what an officer checks: the exit code and the lines printed, the rows in the
store, the validation report, the register's dates and notes, and the mailbox itself.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import cli
from conftest import example_rows, write_rows_csv
from etl.cycle.portfolio import load_portfolio
from etl.office import Office as PmoOffice
from etl.rules.periods import Period
from helpers_imap import PASSWORD, USER, Dovecot, available, reply_with_return
from helpers_msg import outlook_msg
from helpers_returns import context_for, good_answers, good_return

PERIOD = "2023-09"
PROJECTS = ("CPCA-001", "CPCA-002", "CPCA-003", "CPCA-004")
BST = dt.timezone(dt.timedelta(hours=1), "BST")
UTC = dt.timezone.utc

@pytest.fixture
def dovecot():
    if not available() and os.environ.get("CI") != "true":  # in CI a missing Dovecot fails, never skips
        pytest.skip("Dovecot (dovecot-imapd) is not installed here")
    server = Dovecot().start()
    yield server
    server.close()


class Office:
    """The office's folders and store, with the mailbox set up in its pmo.toml."""

    def __init__(self, root: Path, server: Dovecot | None, security: str = "plain", **extra: str):
        rows = [r for r in example_rows() if r["Project ID"] in PROJECTS]
        self.rows = {r["Project ID"]: r for r in rows}
        self.inputs, self.outputs, self.db = root / "inputs", root / "outputs", root / "pmo.db"
        self.inputs.mkdir()
        self.portfolio = write_rows_csv(rows, self.inputs / "portfolio.csv")
        self.work = root / "made"
        self.work.mkdir()
        self.settings_text(server, security, **extra)

    def settings_text(self, server: Dovecot | None, security: str = "plain", **extra: str) -> None:
        port = (server.tls_port if security == "tls" else server.port) if server else 143
        lines = [f'imap_host = "{extra.pop("host", "127.0.0.1")}"', f"imap_port = {port}", f'imap_user = "{USER}"',
                 f'imap_security = "{security}"']
        if server is not None and security != "plain":
            lines.append(f'imap_ca_file = "{server.cert}"')
        lines += [f'{key} = "{value}"' for key, value in extra.items()]
        (self.inputs / "pmo.toml").write_text("\n".join(lines) + "\n")

    def run(self, *args: str, password: str | None = PASSWORD):
        command = [args[0], "--period", PERIOD, "--inputs", str(self.inputs), "--outputs", str(self.outputs),
                   "--db", str(self.db), "--portfolio", str(self.portfolio), *args[1:]]
        return CliRunner().invoke(cli.main, command, env={"PMO_IMAP_PASSWORD": password})

    def workbook(self, project_id: str, rag: str = "Green") -> bytes:
        """The return the project's manager fills in (pmo's own template, answered)."""
        portfolio = load_portfolio(self.portfolio)
        answers = good_answers(context_for(portfolio, project_id, PERIOD).report_type, PERIOD, rag)
        path = good_return(self.work, portfolio, project_id, PERIOD, answers=answers)
        data = path.read_bytes()
        path.unlink()
        return data

    def pm(self, project_id: str) -> str:
        return self.rows[project_id]["Project Manager Email"]

    def query(self, sql: str, *args) -> list[dict]:
        with sqlite3.connect(self.db) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute(sql, args)]

    def report(self, sheet: str = "Files") -> list[dict]:
        ws = openpyxl.load_workbook(self.outputs / PERIOD / "validation_report.xlsx")[sheet]
        rows = list(ws.iter_rows(values_only=True))
        return [dict(zip(rows[0], r)) for r in rows[1:]]


@pytest.fixture
def office(tmp_path, dovecot):
    return Office(tmp_path, dovecot)


def test_collect_takes_each_return_at_its_message_date_and_never_twice(office, dovecot):
    # CPCA-001 sent at 23:30 BST on the due day: on time. CPCA-002 sent at 23:30 UTC on the
    # due day, which is 00:30 the next day on the office's clock: late.
    dovecot.deliver(
        reply_with_return(office.pm("CPCA-001"), [("CPCA-001_2023-09_highlight.xlsx", office.workbook("CPCA-001"))],
                          dt.datetime(2023, 10, 13, 23, 30, tzinfo=BST), subject="RE: September return",
                          message_id="<one@partner.example>"),
        reply_with_return(office.pm("CPCA-002"), [("return.xlsx", office.workbook("CPCA-002"))],
                          dt.datetime(2023, 10, 13, 23, 30, tzinfo=UTC), html_only=True))
    result = office.run("collect")
    assert result.exit_code == 0, result.output
    assert "2 message(s) taken" in result.output
    assert re.search(r"message 1 from .*RE: September return.*sent 13/10/2023 23:30: Accepted CPCA-001",
                     result.output), result.output

    returns = {r["project_id"]: r for r in office.query("SELECT * FROM returns")}
    assert returns["CPCA-001"]["received_at"] == "2023-10-13T23:30:00"
    assert returns["CPCA-002"]["received_at"] == "2023-10-14T00:30:00"
    files = {r["project_id"]: r for r in office.query("SELECT * FROM files")}
    assert files["CPCA-001"]["sender"] == office.pm("CPCA-001").lower()
    assert files["CPCA-001"]["subject"] == "RE: September return"
    assert files["CPCA-001"]["message_id"] == "<one@partner.example>"
    assert files["CPCA-001"]["received_source"] == "message date"
    # The message is archived beside the return as evidence.
    archived = Path(returns["CPCA-001"]["archive_path"])
    assert archived.name == "CPCA-001_2023-09_highlight.xlsx"
    evidence = archived.parent / "message 1.eml"
    assert b"Message-ID: <one@partner.example>" in evidence.read_bytes()

    # Lateness is judged by the message's date, and the register shows that date.
    assert office.run("register", "--as-of", "2023-10-20").exit_code == 0
    ws = openpyxl.load_workbook(office.outputs / PERIOD / f"single_project_register_{PERIOD}.xlsx")["Register"]
    rows = list(ws.iter_rows(values_only=True))
    header = next(r for r in rows if r and "Return Status" in r)
    table = {r[0]: dict(zip(header, r)) for r in rows[rows.index(header) + 1:] if r[0] in PROJECTS}
    assert table["CPCA-001"]["Return Status"] == "Received"
    assert table["CPCA-002"]["Return Status"] == "Received late"
    assert table["CPCA-002"]["Last Return Received"].date() == dt.date(2023, 10, 14)
    assert table["CPCA-001"]["Sent By"] is None

    # A re-run takes nothing; the messages are still there, unread.
    again = office.run("collect")
    assert again.exit_code == 0, again.output
    assert "0 message(s) taken" in again.output and "2 taken before" in again.output
    assert len(office.query("SELECT * FROM returns")) == 2
    assert dovecot.uids() == [1, 2] and dovecot.seen() == []


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_encrypted_login_with_the_office_certificate(tmp_path, dovecot, security):
    office = Office(tmp_path, dovecot, security=security)
    dovecot.deliver(reply_with_return(office.pm("CPCA-003"), [("r.xlsx", office.workbook("CPCA-003"))],
                                      dt.datetime(2023, 10, 9, 10, 0, tzinfo=BST)))
    result = office.run("collect")
    assert result.exit_code == 0, result.output
    assert [r["project_id"] for r in office.query("SELECT * FROM returns")] == ["CPCA-003"]


def test_starttls_refuses_a_certificate_nobody_trusts(tmp_path, dovecot):
    office = Office(tmp_path, dovecot, security="starttls")
    (office.inputs / "pmo.toml").write_text(
        (office.inputs / "pmo.toml").read_text().replace(f'imap_ca_file = "{dovecot.cert}"\n', ""))
    result = office.run("collect")
    assert result.exit_code == 2
    assert "cannot connect to the mailbox" in result.output and "CERTIFICATE_VERIFY_FAILED" in result.output
    assert not office.db.exists() or office.query("SELECT * FROM mailbox_messages") == []


def test_wrong_password_is_a_clear_error_that_never_shows_the_password(office):
    result = office.run("collect", password="not-the-password")
    assert result.exit_code == 2
    assert f"refused the login for {USER}" in result.output and "PMO_IMAP_PASSWORD" in result.output
    assert "not-the-password" not in result.output


def test_no_password_in_the_environment_is_a_usage_error(office):
    result = office.run("collect", password="")
    assert result.exit_code == 2 and "PMO_IMAP_PASSWORD" in result.output


def test_a_folder_that_does_not_exist_is_named_with_the_folders_there(tmp_path, dovecot):
    office = Office(tmp_path, dovecot, imap_folder="Returns 2023")
    result = office.run("collect")
    assert result.exit_code == 2
    assert "no folder 'Returns 2023'" in result.output and "INBOX" in result.output


def test_plain_login_to_another_machine_is_refused_before_connecting(tmp_path):
    office = Office(tmp_path, None, host="mail.example.gov.uk")
    result = office.run("collect")
    assert result.exit_code == 2 and "unencrypted" in result.output


def test_each_bad_message_is_reported_with_sender_subject_and_date_and_the_batch_goes_on(office, dovecot, tmp_path):
    good = office.workbook("CPCA-001")
    damaged = good[: len(good) // 2]  # the attachment cut short in transit
    csv = b"Project ID,RAG\nCPCA-002,Green\n"
    sent = dt.datetime(2023, 10, 10, 9, 15, tzinfo=BST)
    dovecot.deliver(
        reply_with_return("Ann Other <ann@elsewhere.example>", [("ok.xlsx", good)], sent, subject="Forwarded"),
        reply_with_return(office.pm("CPCA-002"), [("return.xlsx", damaged)], sent, subject="Damaged"),
        reply_with_return(office.pm("CPCA-002"), [("really-a-csv.xlsx", csv)], sent, subject="CSV"),
        reply_with_return(office.pm("CPCA-003"), [], sent, subject="Forgot it"),
        reply_with_return(office.pm("CPCA-003"), [("Rückmeldung März.xlsx", office.workbook("CPCA-003"))], sent,
                          subject="RFC 2231", name_style="rfc2231"),
        reply_with_return(office.pm("CPCA-004"), [("../../../../tmp/evil.xlsx", office.workbook("CPCA-004")),
                                                  ("..\\..\\second.xlsx", office.workbook("CPCA-004", "Amber"))],
                          sent, subject="Two of them"),
        reply_with_return(office.pm("CPCA-004"), [("Résumé d'avancement.xlsx", office.workbook("CPCA-004", "Red"))],
                          sent, subject="Encoded word", name_style="mime"),
    )
    result = office.run("collect")
    assert result.exit_code == 1, result.output
    lines = {m: next(line for line in result.output.splitlines() if line.startswith(f"message {m} "))
             for m in range(1, 8)}
    assert "ann@elsewhere.example" in lines[1] and "Forwarded" in lines[1] and "10/10/2023 09:15" in lines[1]
    assert lines[1].endswith("Accepted CPCA-001")
    assert lines[2].endswith("Rejected") and "Damaged" in lines[2]
    assert lines[3].endswith("Rejected") and "CSV" in lines[3]
    assert lines[4].endswith("Rejected") and "Forgot it" in lines[4]
    assert lines[5].endswith("Accepted CPCA-003")
    assert lines[6].endswith("Rejected CPCA-004, Rejected CPCA-004")
    assert lines[7].endswith("Accepted CPCA-004")

    problems = office.report("Problems")
    files = {r["File"]: r for r in office.report()}
    by_file = {p["File"]: p for p in problems}
    assert by_file["message 1 \u203a ok.xlsx"]["Severity"] == "Warning"
    assert "sent by ann@elsewhere.example, not the project manager" in by_file["message 1 \u203a ok.xlsx"]["Problem"]
    assert by_file["message 1 \u203a ok.xlsx"]["E-mail"].startswith("from Ann Other <ann@elsewhere.example>")
    assert "10/10/2023 09:15" in by_file["message 2 \u203a return.xlsx"]["E-mail"]
    assert "renamed '.xlsx'" in by_file["message 3 \u203a really-a-csv.xlsx"]["Problem"]
    assert "No attachment" in by_file["message 4"]["Problem"]
    assert files["message 5 \u203a Rückmeldung März.xlsx"]["Outcome"] == "Accepted"
    assert files["message 7 \u203a Résumé d'avancement.xlsx"]["Outcome"] == "Accepted"
    two = [p for p in problems if p["File"].startswith("message 6")]
    assert {p["File"] for p in two} == {"message 6 \u203a evil.xlsx", "message 6 \u203a second.xlsx"}
    assert all("2 workbooks for CPCA-004" in p["Problem"] for p in two if p["Severity"] == "Error")

    # The register flags the return from an unexpected sender.
    assert office.run("register", "--as-of", "2023-10-20").exit_code == 0
    ws = openpyxl.load_workbook(office.outputs / PERIOD / f"single_project_register_{PERIOD}.xlsx")["Register"]
    rows = list(ws.iter_rows(values_only=True))
    header = next(r for r in rows if r and "Sent By" in r)
    sent_by = {r[0]: dict(zip(header, r))["Sent By"] for r in rows[rows.index(header) + 1:] if r[0] in PROJECTS}
    assert sent_by["CPCA-001"] == "sent by ann@elsewhere.example, not the project manager or internal representative"

    # Nothing was written outside the archive; the mail is all still there.
    assert not Path("/tmp/evil.xlsx").exists()
    written = {p.name for p in tmp_path.rglob("*") if p.is_file()}
    assert "evil.xlsx" in written
    assert all(p.parent.parent.name == "archive" for p in tmp_path.rglob("evil.xlsx"))
    assert dovecot.uids() == list(range(1, 8)) and dovecot.seen() == []


def test_a_message_over_the_size_limit_is_refused_before_it_is_downloaded(office, dovecot):
    pictures = os.urandom(21 * 1024 * 1024)  # a return with 21 MB of photos pasted in
    dovecot.deliver(reply_with_return(office.pm("CPCA-001"), [("Sept return (with photos).xlsx", pictures)],
                                      dt.datetime(2023, 10, 9, 10, 0, tzinfo=BST), subject="Photos",
                                      name_style="rfc2231"))
    result = office.run("collect")
    assert result.exit_code == 1, result.output
    assert "too big" in result.output and "Photos" in result.output
    files = office.report()
    assert files[0]["Outcome"] == "Rejected" and files[0]["File"] == "message 1"
    said = office.report("Problems")[0]["Problem"]
    assert "(attached: Sept return (with photos).xlsx, about 21.0 MB), over the 20 MB limit" in said, said
    # Dovecot logs what each session sent: the headers, not the 28 MB body.
    sent = [int(n) for n in re.findall(r"out=(\d+)", dovecot.log())]
    assert sent and max(sent) < 1_000_000, dovecot.log()
    assert office.query("SELECT outcome FROM mailbox_messages") == [{"outcome": "too big"}]


def test_server_going_away_mid_run_keeps_what_was_taken_and_the_rerun_takes_the_rest(office, dovecot):
    dovecot.deliver(*[reply_with_return(office.pm(p), [(f"{p}.xlsx", office.workbook(p))],
                                        dt.datetime(2023, 10, 9, 10, i, tzinfo=BST)) for i, p in enumerate(PROJECTS)])
    pmo = PmoOffice(inputs=office.inputs, outputs=office.outputs, db=office.db, portfolio_path=office.portfolio)
    first = pmo.collect(Period.parse(PERIOD), PASSWORD, batch=2, on_batch=lambda n: dovecot.stop())
    assert "connection to the mailbox was lost" in first.lost and "2 message(s) not taken" in first.lost
    assert first.exit_code == 1
    assert sorted(r["project_id"] for r in office.query("SELECT * FROM returns")) == ["CPCA-001", "CPCA-002"]

    dovecot.start()
    result = office.run("collect")
    assert result.exit_code == 0, result.output
    assert "2 message(s) taken" in result.output and "2 taken before" in result.output
    assert sorted(r["project_id"] for r in office.query("SELECT * FROM returns")) == list(PROJECTS)
    assert len(office.query("SELECT * FROM mailbox_messages")) == 4


def test_the_same_message_delivered_twice_is_taken_once(office, dovecot):
    message = reply_with_return(office.pm("CPCA-001"), [("r.xlsx", office.workbook("CPCA-001"))],
                                dt.datetime(2023, 10, 9, 10, 0, tzinfo=BST), message_id="<twice@partner.example>")
    dovecot.deliver(message, message)
    result = office.run("collect")
    assert result.exit_code == 0, result.output
    assert "message 2 " in result.output and "already taken" in result.output
    dovecot.deliver(message)  # and once more, after the run
    again = office.run("collect")
    assert "message 3 " in again.output and "taken already as message 1" in again.output
    assert len(office.query("SELECT * FROM files")) == 1
    assert len(office.query("SELECT * FROM returns")) == 1


def test_taken_messages_move_to_processed_or_rejected_and_none_is_deleted(tmp_path, dovecot):
    office = Office(tmp_path, dovecot, imap_processed_folder="Processed", imap_rejected_folder="Rejected")
    sent = dt.datetime(2023, 10, 9, 10, 0, tzinfo=BST)
    dovecot.deliver(reply_with_return(office.pm("CPCA-001"), [("r.xlsx", office.workbook("CPCA-001"))], sent),
                    reply_with_return(office.pm("CPCA-002"), [], sent, subject="No attachment"))
    result = office.run("collect")
    assert result.exit_code == 1, result.output
    assert "Moved 1 message(s) to Processed." in result.output and "Moved 1 message(s) to Rejected." in result.output
    assert dovecot.uids("INBOX") == []
    assert len(dovecot.uids("Processed")) == 1 and len(dovecot.uids("Rejected")) == 1


def test_dry_run_lists_what_it_would_take_and_changes_nothing(office, dovecot):
    dovecot.deliver(reply_with_return(office.pm("CPCA-001"), [("r.xlsx", office.workbook("CPCA-001"))],
                                      dt.datetime(2023, 10, 9, 10, 0, tzinfo=BST), subject="Dry"))
    result = office.run("collect", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "message 1 from" in result.output and "would take" in result.output
    assert "1 message(s) would be taken" in result.output
    assert not office.db.exists() and not (office.outputs / PERIOD).exists()
    assert dovecot.uids() == [1] and dovecot.seen() == []


# ----------------------------------------------------------------------------- saved messages


def test_ingest_reads_saved_emails_beside_workbooks(tmp_path):
    office = Office(tmp_path, None)
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "CPCA-001 return.eml").write_bytes(reply_with_return(
        office.pm("CPCA-001"), [("CPCA-001.xlsx", office.workbook("CPCA-001"))],
        dt.datetime(2023, 10, 12, 16, 45, tzinfo=BST), subject="Our return").as_bytes())
    (folder / "empty.eml").write_bytes(reply_with_return(
        office.pm("CPCA-002"), [], dt.datetime(2023, 10, 12, 16, 45, tzinfo=BST), subject="Oops").as_bytes())
    good_return(folder, load_portfolio(office.portfolio), "CPCA-003", PERIOD)  # saved by hand, as before
    result = office.run("ingest", str(folder))
    assert result.exit_code == 1, result.output
    returns = {r["project_id"]: r for r in office.query("SELECT * FROM returns")}
    assert set(returns) == {"CPCA-001", "CPCA-003"}
    assert returns["CPCA-001"]["received_at"] == "2023-10-12T16:45:00"
    archived = Path(returns["CPCA-001"]["archive_path"])
    assert (archived.parent / "CPCA-001 return.eml").exists()
    files = {r["File"]: r for r in office.report()}
    assert files["CPCA-001 return.eml \u203a CPCA-001.xlsx"]["Outcome"] == "Accepted"
    assert "Our return" in files["CPCA-001 return.eml \u203a CPCA-001.xlsx"]["E-mail"]
    assert files["empty.eml"]["Outcome"] == "Rejected"
    assert "No attachment" in office.report("Problems")[0]["Problem"]


def test_ingest_reads_outlook_msg_files_and_reports_a_damaged_one(tmp_path):
    office = Office(tmp_path, None)
    folder = tmp_path / "returns"
    folder.mkdir()
    # Sent at 23:30 UTC on the due day: 00:30 on Saturday on the office's clock, so late.
    (folder / "RE Return.msg").write_bytes(outlook_msg(
        "Project Manager", office.pm("CPCA-004"), "RE: September return", dt.datetime(2023, 10, 13, 23, 30, tzinfo=UTC),
        "<outlook-1@partner.example>", [("CPCA-004 Sept.xlsx", office.workbook("CPCA-004")), ("image001.png", b"\x89PNG")]))
    (folder / "broken.msg").write_bytes(outlook_msg("X", "x@partner.example", "S", dt.datetime(2023, 10, 1, tzinfo=UTC),
                                                    "<b@p>", [])[:700])  # cut short when copied
    result = office.run("ingest", str(folder))
    assert result.exit_code == 1, result.output
    (stored,) = office.query("SELECT * FROM returns")
    assert stored["project_id"] == "CPCA-004" and stored["received_at"] == "2023-10-14T00:30:00"
    (file,) = office.query("SELECT * FROM files WHERE outcome = 'accepted'")
    assert (file["sender"], file["subject"], file["message_id"]) == (
        office.pm("CPCA-004").lower(), "RE: September return", "<outlook-1@partner.example>")
    assert (Path(stored["archive_path"]).parent / "RE Return.msg").exists()
    problems = {p["File"]: p for p in office.report("Problems")}
    assert "Outlook message could not be read" in problems["broken.msg"]["Problem"]


def test_a_message_without_a_date_counts_from_when_the_server_received_it(office, dovecot):
    message = reply_with_return(office.pm("CPCA-001"), [("r.xlsx", office.workbook("CPCA-001"))],
                                dt.datetime(2023, 10, 9, 10, 0, tzinfo=BST))
    del message["Date"]  # some scanners and scripts send without one
    dovecot.deliver(message, arrived=dt.datetime(2023, 10, 11, 8, 5, tzinfo=UTC))
    assert office.run("collect").exit_code == 0
    (stored,) = office.query("SELECT received_at FROM returns")
    assert stored["received_at"] == "2023-10-11T09:05:00"  # 08:05 UTC is 09:05 BST
    assert office.query("SELECT received_source FROM files") == [{"received_source": "server arrival time"}]


def test_a_return_for_another_month_is_left_for_that_months_run(office, dovecot):
    august = good_return(office.work, load_portfolio(office.portfolio), "CPCA-001", "2023-08")
    dovecot.deliver(reply_with_return(office.pm("CPCA-001"), [("august.xlsx", august.read_bytes())],
                                      dt.datetime(2023, 9, 12, 10, 0, tzinfo=BST)))
    september = office.run("collect")
    assert september.exit_code == 1 and "Rejected CPCA-001" in september.output
    assert office.run("collect").output.count("message 1 ") == 0  # taken for September: not again
    result = CliRunner().invoke(cli.main, ["collect", "--period", "2023-08", "--inputs", str(office.inputs),
                                           "--outputs", str(office.outputs), "--db", str(office.db),
                                           "--portfolio", str(office.portfolio)],
                                env={"PMO_IMAP_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    assert "Accepted CPCA-001" in result.output
    assert [(r["project_id"], r["period"]) for r in office.query("SELECT * FROM returns")] == [("CPCA-001", "2023-08")]


def test_a_saved_email_too_big_for_its_return_is_not_opened(tmp_path):
    office = Office(tmp_path, None)
    with open(office.inputs / "pmo.toml", "a") as settings:
        settings.write("max_return_mb = 1\n")
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "photos.eml").write_bytes(reply_with_return(
        office.pm("CPCA-001"), [("return.xlsx", os.urandom(2 * 1024 * 1024))],
        dt.datetime(2023, 10, 12, 9, 0, tzinfo=BST)).as_bytes())
    result = office.run("ingest", str(folder))
    assert result.exit_code == 1
    (problem,) = office.report("Problems")
    assert problem["File"] == "photos.eml" and "over the 1 MB limit" in problem["Problem"]
    assert problem["E-mail"] == f"from {office.pm('CPCA-001')}, \u201cRE: Highlight report\u201d, sent 12/10/2023 09:00"
