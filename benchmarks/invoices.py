"""Template-free extraction on real invoices: fields right, and seconds per page.

    python -m benchmarks.invoices [--dir ../shared/benchmarks/invoice2data] [--repeat 3]
    python -m benchmarks.invoices --fixtures tests/fixtures/pdf_holdout

Runs the document reader on the real invoices of the invoice2data comparison set (their
``NAME.json`` holds the values invoice2data's per-issuer templates produce) without any
per-supplier hint, and compares, per the set's README: ``invoice_number`` (exact, spaces
stripped) with ``document_number``, ``date`` with ``document_date``, ``amount`` with
``amount_total`` and ``amount_untaxed`` (0.01 tolerance), ``currency``. A field counts where
the expected value is present. Target: at least 90% right.

Speed, measured in the same run, best of ``--repeat``: the reader in process (pdfplumber words
plus the reader) and as the service runs it (in a child process with time and memory limits),
against a raw pdfplumber ``extract_text`` of every page of the same files; seconds per page
and the ratios.

``--fixtures DIR`` scores a folder of generated documents against their golden JSON instead:
fields right, lines exactly right (a new set measured before anything is changed for it is a
blind measure of how the reader generalises).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

import pdfplumber

from triage.ingest.pdf import read_in_process, read_pdf

TARGET = 0.90
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "invoice2data"
COMPARED = [  # (name in the set's JSON, field of the extract output, kind)
    ("invoice_number", "document_number", "text"),
    ("date", "document_date", "date"),
    ("amount", "amount_total", "amount"),
    ("amount_untaxed", "amount_untaxed", "amount"),
    ("currency", "currency", "text"),
]


def expected_of(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data[0] if isinstance(data, list) else data


def same(kind: str, expected, got) -> bool:
    if got is None:
        return False
    if kind == "amount":
        return abs(float(expected) - float(got)) <= 0.01
    if kind == "date":
        return str(expected)[:10] == str(got)
    return "".join(str(expected).split()) == "".join(str(got).split())


def score(directory: Path) -> tuple[list[dict], int, int]:
    """Per-file comparisons and the (right, present) counts."""
    rows, right, present = [], 0, 0
    for pdf in sorted(directory.glob("*.pdf")):
        expected = expected_of(pdf.with_suffix(".json"))
        document = read_in_process(pdf.read_bytes(), 50)
        row = {"file": pdf.name, "pages": document.pages, "cells": {}}
        for name, field, kind in COMPARED:
            want = expected.get(name)
            if want in (None, ""):
                row["cells"][name] = ("absent", None, None)
                continue
            got = document.fields.get(field)
            ok = same(kind, want, got)
            right += ok
            present += 1
            row["cells"][name] = ("right" if ok else "wrong", want, got)
        rows.append(row)
    return rows, right, present


LINE_KEYS = ("sku", "description", "quantity", "unit", "unit_price", "subtotal")


def same_value(expected, got) -> bool:
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return isinstance(got, (int, float)) and abs(expected - got) <= 0.011
    return expected == got


def score_fixtures(directory: Path) -> tuple[int, int, int, int, list[str]]:
    """Generated documents with golden JSON (the shape of ``triage extract``): (fields right,
    fields, lines exactly right, lines, misses)."""
    right = total = lines_right = lines_total = 0
    misses: list[str] = []
    for pdf in sorted(directory.glob("*.pdf")):
        expected = json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))
        document = read_in_process(pdf.read_bytes(), 50)
        for name, want in expected["fields"].items():
            ok = same_value(want, document.fields.get(name))
            right, total = right + ok, total + 1
            if not ok:
                misses.append(f"  {pdf.name}: {name} expected {want!r}, got {document.fields.get(name)!r}")
        got = document.lines
        for k, want in enumerate(expected["lines"]):
            ok = k < len(got) and all(same_value(want[key], got[k][key]) for key in LINE_KEYS)
            lines_right, lines_total = lines_right + ok, lines_total + 1
        if len(got) != len(expected["lines"]):
            misses.append(f"  {pdf.name}: {len(got)} lines read, {len(expected['lines'])} printed")
    return right, total, lines_right, lines_total, misses


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def _raw(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def timings(directory: Path, repeat: int) -> dict[str, float]:
    files = [p.read_bytes() for p in sorted(directory.glob("*.pdf"))]
    for data in files:  # warm up: imports, the forkserver
        _raw(data)
        read_pdf(data, max_pages=50)
    return {
        "raw extract_text": _best(lambda: [_raw(d) for d in files], repeat),
        "reader in process": _best(lambda: [read_in_process(d, 50) for d in files], repeat),
        "reader, limited child": _best(lambda: [read_pdf(d, max_pages=50) for d in files], repeat),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="the invoice2data comparison set")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs per side; the best counts")
    parser.add_argument("--fixtures", type=Path, help="instead: score a folder of generated PDFs with golden JSON "
                        "(tests/fixtures/pdf, tests/fixtures/pdf_holdout)")
    args = parser.parse_args(argv)
    if args.fixtures:
        right, total, lines_right, lines_total, misses = score_fixtures(args.fixtures)
        print(f"{args.fixtures}: fields right {right}/{total} = {right / total:.1%}; "
              f"lines exactly right {lines_right}/{lines_total} = {lines_right / max(lines_total, 1):.1%}")
        print("\n".join(misses))
        return 0
    if not args.dir.is_dir():
        print(f"skipped: {args.dir} is absent (the real invoices live in ../shared/benchmarks/invoice2data "
              "beside the project on the development machines and in CI)")
        return 0
    rows, right, present = score(args.dir)
    names = [name for name, _, _ in COMPARED]
    print(f"{'file':34} " + " ".join(f"{n:>14}" for n in names))
    misses = []
    for row in rows:
        cells = []
        for name in names:
            state, want, got = row["cells"][name]
            cells.append({"right": "ok", "wrong": "WRONG", "absent": "-"}[state])
            if state == "wrong":
                misses.append(f"  {row['file']}: {name} expected {want!r}, got {got!r}")
        print(f"{row['file']:34} " + " ".join(f"{c:>14}" for c in cells))
    share = right / present if present else 0.0
    print(f"\nfields right: {right}/{present} = {share:.1%} (target {TARGET:.0%}: {'met' if share >= TARGET else 'NOT met'})")
    if misses:
        print("misses:\n" + "\n".join(misses))
    pages = sum(row["pages"] for row in rows)
    times = timings(args.dir, args.repeat)
    base = times["raw extract_text"]
    print(f"\nspeed over {len(rows)} files, {pages} pages (best of {args.repeat}):")
    for name, seconds in times.items():
        print(f"  {name:24} {seconds / pages * 1000:7.1f} ms/page   {seconds / base:5.2f}x raw")
    return 0 if share >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
