"""The policy in force, the kill switch (admin) and policy simulation (review)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException

from triage.api.deps import AdminKey, ReviewKey, SessionDep, SettingsDep
from triage.api.schemas import KillSwitchRead, KillSwitchRequest, PolicyRead, SimulateRequest
from triage.errors import PolicyError
from triage.policies.policy import PolicyFile, load_policy, parse_policy
from triage.policy_simulation import parse_since, simulate
from triage.switches import set_kill_switch, store_switch, writes_stopped

router = APIRouter(prefix="/v1/policy", tags=["policy"])


def _read(session, settings) -> PolicyRead:
    source = PolicyFile(settings.policy_path)
    row = store_switch(session)
    return PolicyRead(policy_file=str(source.path), hash=source.policy.hash,
                      writes_stopped=writes_stopped(session, source),
                      store_switch=KillSwitchRead.model_validate(row, from_attributes=True) if row else None)


@router.get("", response_model=PolicyRead, summary="The policy in force and whether writes are stopped")
def read_policy(session: SessionDep, settings: SettingsDep, _: ReviewKey) -> PolicyRead:
    return _read(session, settings)


@router.put("/kill-switch", response_model=PolicyRead, summary="Stop or resume every write to Odoo",
            description="On: every process stops writing at its next flush (approved activities wait in the "
                        "outbox) and new proposals are held. A kill switch in the policy file stays on until "
                        "the file is edited.")
def put_kill_switch(body: KillSwitchRequest, session: SessionDep, settings: SettingsDep, who: AdminKey) -> PolicyRead:
    set_kill_switch(session, on=body.on, by=f"api:{who.name}", reason=body.reason)
    return _read(session, settings)


@router.post("/simulate", summary="Replay stored cases under a policy and show what would change",
             responses={422: {"description": "the policy does not validate, or since is not understood"}})
def simulate_policy(body: SimulateRequest, session: SessionDep, settings: SettingsDep, _: ReviewKey) -> dict[str, Any]:
    try:
        policy = parse_policy(body.policy, "policy") if body.policy is not None else load_policy(settings.policy_path)
        since = parse_since(body.since, dt.datetime.now(dt.UTC))
    except (PolicyError, ValueError) as exc:
        raise HTTPException(422, str(exc)) from exc
    return simulate(session, policy, since=since, timezone=settings.timezone, examples=body.examples).as_dict()
