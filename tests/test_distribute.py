"""`pmo send`, `pmo chase` and `pmo feedback` against a real SMTP server on loopback.

Each test writes a small portfolio (four of the example projects, all due monthly), runs
`pmo templates` for September 2023 (returns due Friday 13 October 2023) and then mails
them, asserting on what the server received: envelope recipients, headers, both body
parts and the attachment bytes, and on the store's `messages` log.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import re
from dataclasses import asdict
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from conftest import example_rows, write_rows_csv
from etl.errors import Problem
from etl.store.backend import store_exists
from etl.store.db import TABLES, OfferedFile, Store
from etl.cycle.templates import Answers
from helpers_smtp import MailServer, free_port, make_certificate

PERIOD = "2023-09"
PROJECTS = ("CPCA-001", "CPCA-002", "CPCA-003", "CPCA-004")
SECRET = "pw-UNIQUE-7f3a9c-marker"


@pytest.fixture
def office(tmp_path, store_url):
    """A small office: its portfolio, settings folder, outputs with the period's templates, a store
    (an SQLite path, or a database on the test PostgreSQL server: each test runs on both)."""
    rows = [r for r in example_rows() if r["Project ID"] in PROJECTS]
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    portfolio = write_rows_csv(rows, inputs / "portfolio.csv")
    outputs, db = tmp_path / "outputs", store_url
    result = CliRunner().invoke(cli.main, ["templates", "--period", PERIOD, "--portfolio", str(portfolio),
                                           "--inputs", str(inputs), "--outputs", str(outputs), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return Office(inputs, outputs, db, portfolio, {r["Project ID"]: r for r in rows})


class Office:
    def __init__(self, inputs: Path, outputs: Path, db: Path, portfolio: Path, rows: dict):
        self.inputs, self.outputs, self.db, self.portfolio, self.rows = inputs, outputs, db, portfolio, rows

    def run(self, *args: str, env: dict | None = None):
        common = ["--period", PERIOD, "--inputs", str(self.inputs), "--outputs", str(self.outputs), "--db", str(self.db)]
        if args[0] in ("chase", "feedback"):
            common += ["--portfolio", str(self.portfolio)]
        return CliRunner().invoke(cli.main, [args[0], *common, *args[1:]], env=env or {"PMO_SMTP_PASSWORD": ""})

    def template(self, project_id: str) -> bytes:
        return (self.outputs / PERIOD / "templates" / f"{project_id}_{PERIOD}_highlight.xlsx").read_bytes()

    def exists(self) -> bool:
        return store_exists(self.db)

    def messages(self) -> list[dict]:
        if not self.exists():
            return []
        with Store(self.db, record_run=False) as store:
            return store.messages()

    def stored_bytes(self) -> bytes:
        """Everything the store holds, as bytes (the file; or every row of a server's tables)."""
        if isinstance(self.db, Path):
            return self.db.read_bytes()
        with Store(self.db, record_run=False) as store:
            return repr([list(store.db.execute(f"SELECT * FROM {t}")) for t in TABLES]).encode()

    def pm(self, project_id: str) -> str:
        return self.rows[project_id]["Project Manager Email"]

    def rep(self, project_id: str) -> str:
        return self.rows[project_id]["Internal Representative Email"]


@pytest.fixture
def server():
    started: list[MailServer] = []

    def start(**kwargs) -> MailServer:
        started.append(MailServer(**kwargs).start())
        return started[-1]

    yield start
    for s in started:
        s.stop()


def smtp(srv: MailServer, *extra: str) -> list[str]:
    return ["--smtp-host", "127.0.0.1", "--smtp-port", str(srv.port), *extra]


def parts(message) -> tuple[str, str, list]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html, list(message.iter_attachments())


def project_of(received) -> str:
    return re.search(r"CPCA-\d+", received.message["Subject"])[0]


# ------------------------------------------------------------------ send


def test_send_mails_each_template_to_the_manager_copying_the_representative(office, server):
    srv = server()
    result = office.run("send", *smtp(srv))
    assert result.exit_code == 0, result.output
    assert len(srv.received) == len(PROJECTS)
    for got in srv.received:
        message = got.message
        project_id = project_of(got)
        name = office.rows[project_id]["Project Name"]
        assert got.rcpt_tos == [office.pm(project_id), office.rep(project_id)]
        assert office.pm(project_id) in message["To"] and office.rep(project_id) in message["Cc"]
        assert message["Subject"] == f"Highlight report for September 2023: {project_id} {name} (due 13/10/2023)"
        assert message["From"] == "Programme Office <pmo@example.gov.uk>"
        assert "X-Unsent" not in message
        text, html, attachments = parts(message)
        assert "covering September 2023, and send it back" in text  # all four report monthly
        assert "by Friday 13 October 2023" in text and "How to fill it in" in text and "yellow cells" in text
        assert "<strong>Friday 13 October 2023</strong>" in html and "<ol>" in html
        [attachment] = attachments
        assert attachment.get_filename() == f"{project_id}_{PERIOD}_highlight.xlsx"
        assert attachment.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert attachment.get_content() == office.template(project_id)
    logged = office.messages()
    assert [(m["kind"], m["project_id"], m["status"]) for m in logged] == [("send", p, "sent") for p in PROJECTS]
    assert all(m["attachment_sha256"] == hashlib.sha256(office.template(m["project_id"])).hexdigest() for m in logged)
    assert logged[0]["cc"] == office.rep("CPCA-001") and logged[0]["error"] is None
    assert "send 2023-09: 4 email(s): 4 sent, 0 failed, 0 already sent" in result.output


def test_second_send_sends_nothing_already_sent_unless_resend(office, server):
    srv = server()
    assert office.run("send", *smtp(srv)).exit_code == 0
    again = office.run("send", *smtp(srv))
    assert again.exit_code == 0, again.output
    assert len(srv.received) == 4
    assert "0 sent, 0 failed, 4 already sent" in again.output and "--resend" in again.output
    forced = office.run("send", *smtp(srv), "--resend")
    assert forced.exit_code == 0 and len(srv.received) == 8
    assert [m["status"] for m in office.messages()].count("sent") == 8


def test_refused_address_fails_that_message_only_and_a_rerun_sends_just_it(office, server):
    srv = server(refuse={office.pm("CPCA-002")})
    result = office.run("send", *smtp(srv))
    assert result.exit_code == 1
    envelopes = {project_of(r): r.rcpt_tos for r in srv.received}
    # The copy went; the project manager did not get it, so the message counts as failed.
    assert envelopes["CPCA-002"] == [office.rep("CPCA-002")]
    assert envelopes["CPCA-001"] == [office.pm("CPCA-001"), office.rep("CPCA-001")]
    failed_line = next(line for line in result.output.splitlines() if line.startswith("FAILED"))
    assert "CPCA-002" in failed_line
    assert f"{office.pm('CPCA-002')} refused: 550 5.1.1 mailbox unavailable" in result.output
    assert "1 email(s) failed; run the same command again" in result.output
    status = {m["project_id"]: (m["status"], m["error"]) for m in office.messages()}
    assert status["CPCA-002"][0] == "failed" and "550" in status["CPCA-002"][1]
    assert {status[p][0] for p in ("CPCA-001", "CPCA-003", "CPCA-004")} == {"sent"}

    fixed = server()  # the address was corrected on the relay
    rerun = office.run("send", *smtp(fixed))
    assert rerun.exit_code == 0, rerun.output
    assert [(project_of(r), r.rcpt_tos) for r in fixed.received] == [
        ("CPCA-002", [office.pm("CPCA-002"), office.rep("CPCA-002")])]
    assert "1 sent, 0 failed, 3 already sent" in rerun.output


def test_refused_copy_address_still_sends_to_the_manager_and_says_so(office, server):
    srv = server(refuse={office.rep("CPCA-001")})
    result = office.run("send", *smtp(srv))
    assert result.exit_code == 1
    assert {project_of(r): r.rcpt_tos for r in srv.received}["CPCA-001"] == [office.pm("CPCA-001")]
    assert f"{office.rep('CPCA-001')} refused: 550 5.1.1 mailbox unavailable" in result.output
    assert "a copy address was refused" in result.output
    logged = {m["project_id"]: m for m in office.messages()}
    assert logged["CPCA-001"]["status"] == "sent" and "550" in logged["CPCA-001"]["error"]
    assert office.run("send", *smtp(srv)).exit_code == 0 and len(srv.received) == 4


def test_server_going_away_mid_run_keeps_what_was_sent_and_a_rerun_sends_the_rest(office, server):
    srv = server(go_away_after=2)
    result = office.run("send", *smtp(srv))
    assert result.exit_code == 1
    sent_first = [project_of(r) for r in srv.received]
    assert sent_first == ["CPCA-001", "CPCA-002"]
    logged = {m["project_id"]: m for m in office.messages()}
    assert [logged[p]["status"] for p in PROJECTS] == ["sent", "sent", "failed", "failed"]
    assert "connection lost while sending" in logged["CPCA-003"]["error"]
    assert "not sent: the mail server 127.0.0.1" in logged["CPCA-004"]["error"]
    assert result.output.count("FAILED") == 2

    back = server()
    rerun = office.run("send", *smtp(back))
    assert rerun.exit_code == 0, rerun.output
    assert [project_of(r) for r in back.received] == ["CPCA-003", "CPCA-004"]
    assert [m["status"] for m in office.messages()].count("sent") == 4


def test_no_server_at_the_start_is_a_clear_error_and_nothing_is_recorded(office):
    result = office.run("send", "--smtp-host", "127.0.0.1", "--smtp-port", str(free_port()))
    assert result.exit_code == 1
    assert "Error: cannot connect to the mail server 127.0.0.1:" in result.output
    assert "Traceback" not in result.output
    assert office.messages() == []


def test_no_destination_is_a_usage_error(office):
    result = office.run("send")
    assert result.exit_code == 2
    assert "--smtp-host HOST" in result.output and "--eml DIR" in result.output and "--dry-run" in result.output


def test_send_before_templates_says_so(tmp_path):
    result = CliRunner().invoke(cli.main, ["send", "--period", "2024-09", "--outputs", str(tmp_path), "--dry-run"])
    assert result.exit_code == 2
    assert "run `pmo templates --period 2024-09` first" in result.output


# ------------------------------------------------------------------ password and TLS


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_password_comes_only_from_the_environment_and_is_never_shown(office, server):
    srv = server(users={"pmo-mailer": SECRET})
    result = office.run("send", *smtp(srv, "--smtp-user", "pmo-mailer"), env={"PMO_SMTP_PASSWORD": SECRET})
    assert result.exit_code == 0, result.output
    assert srv.handler.logins == ["pmo-mailer"] and len(srv.received) == 4
    assert SECRET not in result.output and SECRET not in (result.stderr or "")
    assert SECRET.encode() not in office.stored_bytes()

    wrong = "pw-WRONG-91be2d-marker"
    refused = office.run("send", *smtp(srv, "--smtp-user", "pmo-mailer", "--resend"), env={"PMO_SMTP_PASSWORD": wrong})
    assert refused.exit_code == 2
    assert "refused the login for pmo-mailer" in refused.output and "PMO_SMTP_PASSWORD" in refused.output
    assert wrong not in refused.output and wrong.encode() not in office.stored_bytes()
    assert len(srv.received) == 4


def test_user_without_password_in_environment_is_a_usage_error(office):
    result = office.run("send", "--smtp-host", "127.0.0.1", "--smtp-user", "someone")
    assert result.exit_code == 2
    assert "needs the password in the environment variable PMO_SMTP_PASSWORD" in result.output


def test_there_is_no_password_option():
    help_text = CliRunner().invoke(cli.main, ["send", "--help"]).output
    assert "--starttls" in help_text and "--ssl" in help_text and "PMO_SMTP_PASSWORD" in help_text
    assert "--password" not in help_text and "--smtp-password" not in help_text
    assert CliRunner().invoke(cli.main, ["send", "--period", PERIOD, "--smtp-password", "x"]).exit_code == 2


def test_starttls_and_ssl_together_is_a_usage_error(office):
    result = office.run("send", "--dry-run", "--starttls", "--ssl")
    assert result.exit_code == 2 and "--starttls and --ssl: choose one" in result.output


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


def test_starttls_with_login(office, server, certificate, monkeypatch):
    srv = server(tls=certificate, starttls=True, users={"pmo-mailer": SECRET})
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust the test certificate
    result = office.run("send", *smtp(srv, "--starttls", "--smtp-user", "pmo-mailer"),
                        env={"PMO_SMTP_PASSWORD": SECRET, "SSL_CERT_FILE": str(certificate[0])})
    assert result.exit_code == 0, result.output
    assert len(srv.received) == 4 and srv.handler.logins == ["pmo-mailer"]
    assert SECRET not in result.output


def test_starttls_refuses_an_untrusted_certificate(office, server, certificate, monkeypatch):
    srv = server(tls=certificate, starttls=True)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    result = office.run("send", *smtp(srv, "--starttls"))
    assert result.exit_code == 1
    assert "cannot connect to the mail server 127.0.0.1" in result.output and "certificate" in result.output.lower()
    assert srv.received == [] and office.messages() == []


def test_implicit_tls(office, server, certificate, monkeypatch):
    srv = server(tls=certificate, implicit_tls=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    result = office.run("send", *smtp(srv, "--ssl"), env={"SSL_CERT_FILE": str(certificate[0])})
    assert result.exit_code == 0, result.output
    assert len(srv.received) == 4


# ------------------------------------------------------------------ dry run and drafts


def test_dry_run_shows_what_would_go_and_sends_and_records_nothing(office, server):
    srv = server()
    result = office.run("send", "--dry-run", *smtp(srv))
    assert result.exit_code == 0, result.output
    assert result.output.count("would send") == 4
    assert f"to {office.pm('CPCA-001')} cc {office.rep('CPCA-001')}" in result.output
    assert "4 would go" in result.output
    assert srv.received == [] and not office.exists()


def test_eml_drafts_parse_back_with_their_attachment(office, tmp_path):
    folder = tmp_path / "drafts"
    result = office.run("send", "--eml", str(folder))
    assert result.exit_code == 0, result.output
    files = sorted(folder.glob("*.eml"))
    assert [f.name for f in files] == [f"{p}_{PERIOD}_send.eml" for p in PROJECTS]
    for path, project_id in zip(files, PROJECTS):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert message["X-Unsent"] == "1"
        assert office.pm(project_id) in message["To"] and office.rep(project_id) in message["Cc"]
        text, html, [attachment] = parts(message)
        assert "Friday 13 October 2023" in text and "Friday 13 October 2023" in html
        assert attachment.get_content() == office.template(project_id)
    assert [m["status"] for m in office.messages()] == ["draft"] * 4


# ------------------------------------------------------------------ message templates


def test_officer_edits_the_wording_and_values_are_escaped_in_html(office, tmp_path, server):
    folder = office.inputs / "email_templates"
    folder.mkdir()
    (folder / "send.txt").write_text("Subject: Report $project_id\n\nHello $recipient_name, due $due_date_short.\n")
    (folder / "send.html").write_text("<p>Hello $recipient_name about $project_name</p>")
    rows = list(office.rows.values())
    rows[0] = {**rows[0], "Project Name": "Roads <b>& Bridges</b>"}
    write_rows_csv(rows, office.portfolio)
    assert CliRunner().invoke(cli.main, ["templates", "--period", PERIOD, "--portfolio", str(office.portfolio),
                                         "--outputs", str(office.outputs)]).exit_code == 0
    srv = server()
    assert office.run("send", *smtp(srv)).exit_code == 0
    first = srv.received[0].message
    assert first["Subject"] == "Report CPCA-001"
    text, html, _ = parts(first)
    assert text.strip() == "Hello Marcus Delaney, due 13/10/2023."
    assert "Roads &lt;b&gt;&amp; Bridges&lt;/b&gt;" in html and "<b>" not in html


def test_unknown_placeholder_is_a_config_error_naming_template_and_placeholder(office, server):
    folder = office.inputs / "email_templates"
    folder.mkdir()
    (folder / "send.txt").write_text("Subject: Report $project_id\n\nDue $due_dat.\n")
    srv = server()
    result = office.run("send", *smtp(srv))
    assert result.exit_code == 2
    assert "send.txt: unknown placeholder $due_dat" in result.output and "$due_date" in result.output
    assert srv.received == [] and office.messages() == []


# ------------------------------------------------------------------ chase


@pytest.fixture
def escalating(office):
    (office.inputs / "pmo.toml").write_text(
        'chase_escalate_after_days = 10\nchase_escalation_email = "director.resources@example.gov.uk"\n'
    )
    return office


def test_chase_reminds_missing_returns_and_escalates_after_n_days(escalating, server, tmp_path):
    office = escalating
    from etl.config import load_settings
    from etl.cycle.portfolio import load_portfolio
    from helpers_store import store_return

    with Store(office.db) as store:
        store_return(store, load_portfolio(office.portfolio, load_settings(office.inputs)), "CPCA-003", PERIOD,
                     Answers({"rag_this_period": "Green"}), tmp_path, received=dt.date(2023, 10, 12))

    before_due = office.run("chase", "--as-of", "2023-10-13", "--dry-run")
    assert before_due.exit_code == 0 and "0 email(s)" in before_due.output

    srv = server()
    week = office.run("chase", "--as-of", "2023-10-20", *smtp(srv))
    assert week.exit_code == 0, week.output
    chased = {project_of(r): r for r in srv.received}
    assert sorted(chased) == ["CPCA-001", "CPCA-002", "CPCA-004"]  # CPCA-003's return is in
    got = chased["CPCA-001"]
    assert got.rcpt_tos == [office.pm("CPCA-001"), office.rep("CPCA-001")]
    text, html, [attachment] = parts(got.message)
    assert "due on Friday 13 October 2023 and is now 7 days overdue" in text
    assert "7 days overdue" in html and "director" not in text
    assert attachment.get_content() == office.template("CPCA-001")

    again = office.run("chase", "--as-of", "2023-10-20", *smtp(srv))
    assert again.exit_code == 0 and len(srv.received) == 3 and "3 already sent" in again.output

    late = server()
    # Another day, long overdue: chased again, and the escalation address is copied.
    with Store(office.db, record_run=False) as store, store.transaction() as db:
        db.execute("UPDATE messages SET created_at = '2023-10-20T09:00:00+00:00' WHERE kind = 'chase'")
    result = office.run("chase", "--as-of", "2023-10-30", *smtp(late))
    assert result.exit_code == 0, result.output
    got = {project_of(r): r for r in late.received}["CPCA-002"]
    assert got.rcpt_tos == [office.pm("CPCA-002"), office.rep("CPCA-002"), "director.resources@example.gov.uk"]
    assert "director.resources@example.gov.uk" in got.message["Cc"]
    assert "17 days overdue, this reminder is also copied to director.resources@example.gov.uk" in parts(got.message)[0]


def test_chase_without_escalation_address_says_nobody_else_was_copied(office):
    Store(office.db).close()  # ingest has run; no return has arrived
    result = office.run("chase", "--as-of", "2023-11-30", "--dry-run")
    assert result.exit_code == 0
    assert "no chase_escalation_email is set in pmo.toml" in result.output
    assert result.output.count("would send") == 4


@pytest.mark.parametrize("kind", ["chase", "feedback"])
@pytest.mark.parametrize("dry_run", [True, False])
def test_commands_that_read_history_refuse_a_store_that_does_not_exist(office, kind, dry_run, tmp_path):
    """A mistyped --db must not look like an empty history (every project reminded): the command
    stops with one Error line, exit 2, and creates nothing (issue 15, item 4)."""
    office.db = tmp_path / "mistyped.db"
    args = [kind, "--as-of", "2023-11-30"] if kind == "chase" else [kind]
    result = office.run(*args, *(["--dry-run"] if dry_run else ["--eml", str(tmp_path / "drafts")]))
    assert result.exit_code == 2, result.output
    assert f"Error: {office.db}: no history store here" in result.output
    assert "would send" not in result.output
    assert not office.db.exists() and not (tmp_path / "drafts").exists()


# ------------------------------------------------------------------ feedback


def _reject(office: Office, tmp_path: Path, project_id: str = "CPCA-002", name: str | None = None) -> Path:
    """A partner's return that ingest rejected: the file, and its problems in the store."""
    path = tmp_path / "returns" / (name or f"{project_id}_{PERIOD}_highlight.xlsx")
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(office.template(project_id) + name.encode() if name else office.template(project_id))
    problems = [
        asdict(Problem("'Purple' is not a RAG rating", file=path.name, field="rag_this_period",
                       sheet="Highlight Report", cell="C24", value="Purple",
                       fix="Choose Green, Green/Amber, Amber, Amber/Red or Red from the list")),
        asdict(Problem("'31/02/2024' is not a date", file=path.name, field="forecast_completion_date",
                       sheet="Highlight Report", cell="C14", value="31/02/2024", fix="Enter a real date as dd/mm/yyyy")),
    ]
    with Store(office.db) as store:
        store.record_rejected(OfferedFile.from_path(path, PERIOD), problems, project_id)
    return path


def test_feedback_lists_each_problem_and_attaches_the_file_back(office, server, tmp_path):
    returned = _reject(office, tmp_path)
    srv = server()
    result = office.run("feedback", *smtp(srv))
    assert result.exit_code == 0, result.output
    [got] = srv.received
    assert got.rcpt_tos == [office.pm("CPCA-002"), office.rep("CPCA-002")]
    assert got.message["Subject"].startswith("Highlight report for September 2023 returned for correction: CPCA-002")
    text, html, [attachment] = parts(got.message)
    assert "1. sheet 'Highlight Report', cell C24, field Status this period (rag_this_period)" in text
    for expected in ("cell C24", "rag_this_period", "You entered: Purple", "'Purple' is not a RAG rating",
                     "How to fix: Choose Green, Green/Amber, Amber, Amber/Red or Red from the list",
                     "cell C14", "You entered: 31/02/2024", "How to fix: Enter a real date as dd/mm/yyyy"):
        assert expected in text
    cells = re.findall(r"<t[dh](?: [^>]*)?>(.*?)</t[dh]>", html)
    assert cells[:6] == ["#", "Where", "Field", "You entered", "Problem", "How to fix"]
    assert cells[6:12] == ["1", "sheet &#x27;Highlight Report&#x27;, cell C24", "Status this period", "Purple",
                           "&#x27;Purple&#x27; is not a RAG rating",
                           "Choose Green, Green/Amber, Amber, Amber/Red or Red from the list"]
    assert cells[12:18] == ["2", "sheet &#x27;Highlight Report&#x27;, cell C14", "Forecast completion date",
                            "31/02/2024", "&#x27;31/02/2024&#x27; is not a date", "Enter a real date as dd/mm/yyyy"]
    assert attachment.get_filename() == returned.name and attachment.get_content() == returned.read_bytes()
    assert "2 problem(s)" in text

    again = office.run("feedback", *smtp(srv))
    assert again.exit_code == 0 and len(srv.received) == 1 and "1 already sent" in again.output
    [logged] = [m for m in office.messages() if m["kind"] == "feedback"]
    assert logged["attachment_sha256"] == hashlib.sha256(returned.read_bytes()).hexdigest()


def test_feedback_when_the_file_is_gone_says_so(office, server, tmp_path):
    _reject(office, tmp_path).unlink()
    srv = server()
    result = office.run("feedback", *smtp(srv))
    assert result.exit_code == 0, result.output
    assert "not attached:" in result.output and "is no longer there" in result.output
    text, _, attachments = parts(srv.received[0].message)
    assert attachments == [] and "We could not attach your file back" in text


def test_no_feedback_once_an_accepted_return_followed(office, tmp_path):
    from etl.config import Settings
    from etl.cycle.portfolio import load_portfolio
    from helpers_store import store_return

    _reject(office, tmp_path)
    with Store(office.db) as store:
        store_return(store, load_portfolio(office.portfolio, Settings()), "CPCA-002", PERIOD,
                     Answers({"rag_this_period": "Amber"}), tmp_path / "fixed")
    result = office.run("feedback", "--dry-run")
    assert result.exit_code == 0 and "0 email(s)" in result.output


def test_feedback_goes_for_the_latest_rejected_file_only(office, tmp_path):
    _reject(office, tmp_path)
    _reject(office, tmp_path, name="CPCA-002 second try.xlsx")
    result = office.run("feedback", "--dry-run")
    assert result.output.count("would send") == 1 and "1 would go" in result.output


# ------------------------------------------------------------------ library pieces


def test_problems_fragment_escapes_values_and_orders_errors_first():
    from etl.mail.distribute import problems_fragment

    fragment = problems_fragment([
        {"message": "looks odd", "severity": "warning", "cell": "C9", "value": "x"},
        {"message": "bad", "field": "pm_update", "cell": "A40", "value": "=<script>", "fix": "type text"},
    ])
    assert fragment.text.splitlines()[0].startswith("1. cell A40, field ")
    assert "2. cell C9 [warning]" in fragment.text
    assert "&lt;script&gt;" in fragment.html and "<script>" not in fragment.html


@pytest.mark.parametrize("text, message", [
    ("Hello $project_id\n", "the first line must be the subject"),
    ("Subject: Report $project_id\n\nCosts $5 a head.\n", "Invalid placeholder in string: line 3, col 7 (write $$ for a dollar sign)"),
])
def test_badly_written_message_template_is_a_config_error(tmp_path, text, message):
    from etl.mail.compose import load_mail_template
    from etl.errors import ConfigError

    (tmp_path / "email_templates").mkdir()
    (tmp_path / "email_templates" / "send.txt").write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_mail_template(tmp_path, "send").render({"project_id": "CPCA-001"})


@pytest.mark.parametrize("frequency, period, expected", [
    ("Monthly", "2023-09", "September 2023"),
    ("Quarterly", "2023-09", "July to September 2023"),
    ("Bi-monthly", "2024-02", "January to February 2024"),
    ("Quarterly", "2024-03", "January to March 2024"),
    ("Bi-monthly", "2024-01", "December 2023 to January 2024"),
    ("", "2023-09", "September 2023"),
])
def test_covering_says_which_months_a_return_covers(frequency, period, expected):
    from etl.mail.distribute import covering
    from etl.rules.periods import Period

    assert covering(frequency, Period.parse(period)) == expected


def test_scrub_removes_password_and_its_base64():
    import base64

    from etl.mail.mailer import scrub

    encoded = base64.b64encode(SECRET.encode()).decode()
    assert scrub(f"535 bad {SECRET} / {encoded}", SECRET) == "535 bad *** / ***"


def test_missing_manager_email_fails_that_message_only(office, server):
    # An officer blanked a project manager's address in the distribution list.
    listing = office.outputs / PERIOD / "distribution.csv"
    listing.write_text(listing.read_text(encoding="utf-8-sig").replace(office.pm("CPCA-002"), ""), encoding="utf-8-sig")
    srv = server()
    result = office.run("send", *smtp(srv))
    assert result.exit_code == 1
    assert "no project manager email in the portfolio" in result.output
    assert len(srv.received) == 3
    assert {m["project_id"]: m["status"] for m in office.messages()}["CPCA-002"] == "failed"


def test_demo_writes_email_drafts(tmp_path):
    from etl.demo.runner import DEMO_PERIOD, run_demo

    ctx = run_demo(outputs_dir=tmp_path / "out")
    emails = tmp_path / "out" / "demo" / "emails"
    templates = list((tmp_path / "out" / str(DEMO_PERIOD) / "templates").glob("*.xlsx"))
    assert len(list((emails / "send").glob("*.eml"))) == len(templates) > 0
    chased = list((emails / "chase").glob("*.eml"))
    assert chased and all(email.message_from_bytes(p.read_bytes())["X-Unsent"] == "1" for p in chased)
    assert any(p.parent.name == "send" for p in ctx.files)


def test_feedback_survives_a_rejected_file_name_with_a_line_break(office, tmp_path):
    """A rejected file named with CR/LF (possible on Linux and in mail attachments): its feedback is
    written with a clean attachment name, and the other projects still get theirs (issue 15, item 11)."""
    _reject(office, tmp_path, "CPCA-002", name="CPCA-002\r\nBcc: all@example.invalid.xlsx")
    _reject(office, tmp_path, "CPCA-003")
    result = office.run("feedback", "--eml", str(tmp_path / "drafts"))
    assert result.exit_code == 0, result.output
    drafts = sorted((tmp_path / "drafts").glob("*.eml"))
    assert len(drafts) == 2, result.output
    import email
    from email import policy

    for draft in drafts:
        message = email.message_from_bytes(draft.read_bytes(), policy=policy.default)
        assert "Bcc" not in message
        for part in message.iter_attachments():
            assert "\r" not in part.get_filename() and "\n" not in part.get_filename()
    names = [a.get_filename() for d in drafts
             for a in email.message_from_bytes(d.read_bytes(), policy=policy.default).iter_attachments()]
    assert "CPCA-002 Bcc: all@example.invalid.xlsx" in names
