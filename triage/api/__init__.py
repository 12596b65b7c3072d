"""The HTTP API: a FastAPI app factory, thin routes over service functions."""

from triage.api.app import create_app

__all__ = ["create_app"]
