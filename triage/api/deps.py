"""Annotated dependencies: the session (the request owns its transaction), settings, auth."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from triage.api.runtime import Runtime
from triage.apikeys import Principal, authenticate
from triage.config import Settings
from triage.services import Services
from triage.store import session_scope


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """The request's unit of work: committed when the route returns, rolled back on error."""
    with session_scope(runtime.engine) as session:
        yield session


# scope="function": commit before the response is sent, so a 201 means the data is stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_services(runtime: RuntimeDep) -> Services:
    return runtime.services()  # ModelError -> 503 by the error handler


ServicesDep = Annotated[Services, Depends(get_services)]

bearer = HTTPBearer(auto_error=False, description="an API key from `triage apikey create`")


def principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "an API key is required (Authorization: Bearer <key>)",
                            headers={"WWW-Authenticate": "Bearer"})
    who = authenticate(session=session, key=credentials.credentials)
    if who is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown or revoked API key",
                            headers={"WWW-Authenticate": "Bearer"})
    return who


PrincipalDep = Annotated[Principal, Depends(principal)]


def require(scope: str):
    def check(who: PrincipalDep) -> Principal:
        if not who.allows(scope):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this key lacks the '{scope}' scope")
        return who

    return Annotated[Principal, Depends(check)]


IngestKey = require("ingest")
ReviewKey = require("review")
AdminKey = require("admin")
