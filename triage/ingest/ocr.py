"""Text for scanned pages from a local Tesseract, when one is installed (Debian:
``apt-get install tesseract-ocr``, plus ``tesseract-ocr-deu`` and the like for more languages).

Nothing is downloaded and nothing runs when Tesseract is absent: the document is then
quarantined ``pdf_no_text`` (``triage extract`` says ``needs_ocr``). A page image goes to
``tesseract stdin stdout tsv`` and comes back as positioned words, in points, for the same
reader as a text layer. Tesseract runs inside the PDF reader's limited child; it dies with it
(``PR_SET_PDEATHSIG``) and never outlives the time left.
"""

from __future__ import annotations

import csv
import ctypes
import functools
import io
import shutil
import signal
import subprocess
import time

from triage.ingest.document.layout import Word

# Our seven languages in Tesseract's names; the installed ones are used together.
_LANGUAGES = {"eng": "en", "deu": "de", "fra": "fr", "nld": "nl", "spa": "es", "ita": "it", "por": "pt"}
DPI = 300
_RULES = "|{}[]¦"


def available() -> bool:
    return shutil.which("tesseract") is not None


@functools.lru_cache(maxsize=1)
def languages() -> str:
    """The installed Tesseract languages among ours, joined for ``-l`` (``eng`` at least)."""
    try:
        listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "eng"
    found = [name for name in _LANGUAGES if name in listed.split()]
    return "+".join(found) or "eng"


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def words(image_png: bytes, page: int, deadline: float) -> list[Word]:
    """The words Tesseract reads on one page image rendered at ``DPI``."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("no time left for OCR")
    result = subprocess.run(["tesseract", "stdin", "stdout", "-l", languages(), "--psm", "11", "tsv"],
                            input=image_png, capture_output=True, timeout=remaining, preexec_fn=_die_with_parent)
    if result.returncode != 0:
        raise RuntimeError(f"tesseract failed: {result.stderr.decode(errors='replace')[-300:]}")
    scale = 72 / DPI
    out: list[Word] = []
    rows = csv.DictReader(io.StringIO(result.stdout.decode("utf-8", errors="replace")), delimiter="\t",
                          quoting=csv.QUOTE_NONE)
    for row in rows:
        text = (row.get("text") or "").strip().strip(_RULES)  # table rules read as "|" or "}" beside a word
        if row.get("level") != "5" or not text or float(row.get("conf") or -1) < 0:
            continue
        left, top, width, height = (float(row[k]) * scale for k in ("left", "top", "width", "height"))
        out.append(Word(text=text, x0=left, x1=left + width, top=top, bottom=top + height,
                        size=max(height / 0.7, 4.0), page=page))
    return out
