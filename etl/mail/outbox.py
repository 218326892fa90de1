"""The store's log of messages: record each email as it goes, and say what has already gone.

Every message `pmo send`, `pmo chase` and `pmo feedback` sends, drafts or fails to send is
one row of the store's `messages` table, written in its own transaction the moment the
outcome is known, so a run stopped part-way keeps what it sent and a re-run sends the rest.
Before a message goes, it is claimed in the store under a key (`claim_key`), so two
officers sending at once never send it twice. The SQL lives in `etl.store.db`.
"""

from __future__ import annotations

from typing import Any

from etl.mail.compose import Draft
from etl.store.db import Store

SENT, FAILED, DRAFT = "sent", "failed", "draft"


def record_message(store: Store, draft: Draft, status: str, error: str | None = None,
                   claim_key: str | None = None) -> int:
    """Log one message's outcome (settling its claim, if it was claimed); its row id."""
    return store.record_message(
        draft.kind, draft.period, draft.project_id, draft.to[1] or "", draft.cc_addresses, draft.subject,
        draft.attachment_name, draft.attachment_sha256, status, error, claim_key,
    )


def messages(store: Store, kind: str | None = None, period: str | None = None, status: str | None = None,
             project_id: str | None = None) -> list[dict[str, Any]]:
    """Logged messages, oldest first, filtered by kind, period, status and project when given."""
    return store.messages(kind, period, status, project_id)
