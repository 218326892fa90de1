"""What pmo makes of a message's parts before ingest: safe attachment names, the office's clock, BODYSTRUCTURE."""

from __future__ import annotations

import datetime as dt

import pytest

from etl.cycle.messages import office_time, safe_name
from etl.mail.inbox import _structure, attachment_sizes


@pytest.mark.parametrize("raw, safe", [
    ("CPCA-001 return.xlsx", "CPCA-001 return.xlsx"),
    ("../../etc/passwd.xlsx", "passwd.xlsx"),
    ("..\\..\\Windows\\return.xlsx", "return.xlsx"),
    ("C:\\Users\\sam\\Desktop\\return.xlsx", "return.xlsx"),
    ("/tmp/evil.xlsx", "evil.xlsx"),
    ("..", "attachment-3"),
    ("", "attachment-3"),
    (None, "attachment-3"),
    ("re\x00turn\r\n.xlsx", "re_turn__.xlsx"),
    ('what?"<is>|this*.xlsx', "what___is__this_.xlsx"),
    ("." * 5 + "hidden.xlsx", "hidden.xlsx"),
])
def test_an_attachment_name_becomes_a_plain_file_name(raw, safe):
    assert safe_name(raw, 3) == safe


def test_a_very_long_name_keeps_its_extension():
    name = safe_name("a" * 300 + ".xlsx", 1)
    assert len(name) == 120 and name.endswith("a.xlsx")


@pytest.mark.parametrize("sent, local", [
    ("2023-10-13T23:30:00+00:00", "2023-10-14T00:30:00"),  # British Summer Time: an hour ahead of UTC
    ("2023-12-13T23:30:00+00:00", "2023-12-13T23:30:00"),  # winter: London is on UTC
    ("2023-10-13T18:30:00-04:00", "2023-10-13T23:30:00"),  # sent from New York
    ("2023-10-13T23:30:00", "2023-10-14T00:30:00"),  # no zone given: UTC, as RFC 5322 says
])
def test_a_message_date_is_read_on_the_office_clock(sent, local):
    assert office_time(dt.datetime.fromisoformat(sent), "Europe/London").isoformat() == local


def test_bodystructure_names_each_attachment_with_its_size():
    structure = (b'(("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 34 1 NIL NIL NIL NIL)'
                 b'("application" "octet-stream" ("name" "=?utf-8?b?UsO8Y2subWVsZHVuZy54bHN4?=") NIL NIL "base64" 4106'
                 b' NIL ("attachment" ("filename*" "utf-8\'\'R%C3%BCckmeldung%20big.xlsx")) NIL NIL)'
                 b'("application" "vnd.ms-excel" NIL NIL NIL "base64" 6 NIL ("attachment" ("filename" "a \\"b\\".xlsx"))'
                 b' NIL NIL) "mixed" ("boundary" "x") NIL NIL NIL)')
    assert attachment_sizes(_structure(structure)) == [("Rückmeldung big.xlsx", 4106), ('a "b".xlsx', 6)]
