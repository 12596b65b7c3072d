"""The kill switch: stops every write to Odoo, and holds every new proposal.

It is on when the policy file says ``kill_switch: true``, when the policy file was edited and
no longer validates (the last valid policy stays in force for the gate, but nothing is written
until the file is mended), or when an operator set it in the store (``triage policy stop``,
``PUT /v1/policy/kill-switch``: every worker and process sees it at its next flush). The outbox
asks ``writes_stopped`` before every flush and between its batches.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.policies.policy import PolicyFile
from triage.store import repository as repo
from triage.store.tables import SwitchRow

KILL_SWITCH = "kill_switch"


def store_switch(session: Session) -> SwitchRow | None:
    """The kill switch as last set in the store (None: never set)."""
    return session.get(SwitchRow, KILL_SWITCH)


def set_kill_switch(session: Session, *, on: bool, by: str, reason: str = "") -> SwitchRow:
    """Turn the store's kill switch on or off (audited). The caller commits."""
    row = session.get(SwitchRow, KILL_SWITCH, with_for_update=True)
    if row is None:
        row = SwitchRow(name=KILL_SWITCH)
        session.add(row)
    row.on, row.reason, row.set_by, row.set_at = on, reason, by, repo.now()
    session.flush()
    repo.audit(session, "kill_switch", "switch", None, on=on, by=by, reason=reason)
    return row


def store_reason(session: Session) -> str | None:
    """Why the store's switch stops writes, or None. Read with a column query, not ``get``, so a
    long session (a flush between its batches) sees a switch another process just turned on."""
    row = session.execute(select(SwitchRow.on, SwitchRow.reason, SwitchRow.set_by, SwitchRow.set_at)
                          .where(SwitchRow.name == KILL_SWITCH)).first()
    if row is None or not row.on:
        return None
    return f"the kill switch was turned on by {row.set_by} at {row.set_at:%Y-%m-%d %H:%M} UTC" + (
        f": {row.reason}" if row.reason else "")


def writes_stopped(session: Session, policy_file: PolicyFile) -> str | None:
    """Why nothing may be written to Odoo now, or None when writes may go ahead."""
    policy = policy_file.current()
    if policy_file.problem:
        return f"the policy file no longer validates, nothing is written until it is mended: {policy_file.problem}"
    if policy.kill_switch:
        return f"the kill switch is on in the policy file {policy_file.path}"
    return store_reason(session)
