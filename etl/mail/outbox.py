"""The store's log of messages: record each email as it goes, and say what has already gone.

Every message `pmo send`, `pmo chase` and `pmo feedback` sends, drafts or fails to send is
one row of the store's `messages` table, written in its own transaction the moment the
outcome is known, so a run stopped part-way keeps what it sent and a re-run sends the rest.
"""

from __future__ import annotations

from typing import Any

from etl.mail.compose import Draft
from etl.store.db import Store, now_iso

SENT, FAILED, DRAFT = "sent", "failed", "draft"


def record_message(store: Store, draft: Draft, status: str, error: str | None = None) -> int:
    """Log one message's outcome; its row id."""
    with store.transaction() as db:
        cursor = db.execute(
            "INSERT INTO messages (kind, period, project_id, to_addr, cc, subject, attachment_name,"
            " attachment_sha256, status, error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                draft.kind, draft.period, draft.project_id, draft.to[1] or "", draft.cc_addresses, draft.subject,
                draft.attachment_name, draft.attachment_sha256, status, error or None, now_iso(),
            ),
        )
        return int(cursor.lastrowid)


def messages(store: Store, kind: str | None = None, period: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
    """Logged messages, oldest first, filtered by kind, period and status when given."""
    sql, args = "SELECT * FROM messages WHERE 1 = 1", []
    for column, value in (("kind", kind), ("period", period), ("status", status)):
        if value is not None:
            sql += f" AND {column} = ?"
            args.append(str(value))
    return [dict(r) for r in store.db.execute(sql + " ORDER BY id", args)]
