"""Imported once by the PDF readers' forkserver (``ingest/sandbox.py``): the reader and the
language model it consults are loaded there, so every child forked for a file starts warm."""

from triage.ingest.language import detect_language
from triage.ingest.pdf import read_in_process

detect_language("warm up the language model")

__all__ = ["read_in_process"]
