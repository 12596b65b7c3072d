"""Soak: many signals through the whole flow on SQLite and PostgreSQL; throughput and memory.

    python -m benchmarks.soak [--signals 10000] [--stores sqlite,postgresql]
                              [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

A reproducible mix (seeded), every signal unique: corpus emails as RFC 822 messages (most; some
replying to an earlier one, some with a PDF attached), JSON email rows as the API takes them,
Odoo exceptions (late_receipt, bill_mismatch, through ``odoo_records.to_intake``), PDFs from
``tests/fixtures/pdf`` made unique by a ``%soak-N`` comment after ``%%EOF``, and bad inputs
(malformed MIME, an empty message, corrupt PDFs, invalid JSON) that must be quarantined while the
loop goes on. Each signal is read and run through ``pipeline.ingest`` in its own transaction, as
the in-process service does; the outbox is flushed to the DryRunWriter every 200 signals.

Per store (a temporary SQLite file; a fresh PostgreSQL database ``triage_soak_<pid>`` created on
the given server and dropped at the end) it prints signals/s, resident memory (VmRSS, after
gc.collect) after a warm-up of 500 signals ("start") and at the end, the peak, and the verdict:
"flat" when the end is less than 10% above the start. The baseline is the same model's
``predict`` on the run's email texts one at a time (the flow's call), without the store,
measured in the same run in slices before, during (every 500 signals) and after each store's
soak, so that it shares the machine's load with the flow; the flow's time excludes the slices.
The counts at the end show nothing was lost: every signal stored is processed or quarantined,
or the command exits non-zero (it also does when memory is not flat).

Uses the champion in ``TRIAGE_DATA_DIR``; without one it trains one into a temporary directory
first (about a minute and a half). No Odoo, the packaged policy, no downloads (HF_HUB_OFFLINE=1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import logging
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PDF_FIXTURES = ROOT / "tests" / "fixtures" / "pdf"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
WARMUP = 500
FLUSH_EVERY = 200
PROGRESS_EVERY = 1000
FLAT = 0.10  # end RSS less than 10% above the start RSS
BASELINE_ENDS = 100  # baseline texts before and after each store's soak (shown, not in the ratio)
BASELINE_EVERY, BASELINE_SLICE = 100, 8  # the baseline: this many texts every that many signals
SEED = 20260415

# kind -> share of the mix (the rest of the code keys on these names)
MIX = {
    "eml": 0.60,          # a corpus email as an RFC 822 message
    "eml+pdf": 0.02,      # the same with a PDF attached (a child document signal)
    "json": 0.12,         # a JSON email row, as POST /v1/signals takes it
    "late_receipt": 0.09,  # Odoo exceptions
    "bill_mismatch": 0.06,
    "pdf": 0.06,          # a document on its own
    "bad": 0.05,          # must be quarantined
}
BAD = {  # a bad input's kind -> the quarantine reason it must get
    "malformed_mime": "malformed_mime",
    "empty_message": "empty",
    "truncated_pdf": "pdf_corrupt",
    "not_a_pdf": "pdf_corrupt",
    "broken_json": "invalid_json",
    "row_without_body": "invalid_json",
}
EMAIL_KINDS = ("eml", "eml+pdf", "json")
SUPPLIERS = ["Acme GmbH", "Northbolt Fasteners Ltd", "Baltic Bearing Supply", "Lindqvist Electro AB",
             "Hessberg Antriebstechnik GmbH", "Tectron Power Systems", "Albion Packaging Ltd", "EuroRoll Bearings",
             "Voltara Components", "Kestrel Industrial Supplies", "Turner & Sons Print", "Globex Corp"]
PRODUCTS = ["BRG-6204-2RS", "HX-2250 hex nut M12", "CTR-4410 contactor", "TP-PSU-24-5", "LE-MCB-C16-1P",
            "GM-40-1:20 gear motor", "FS-M10X40-88Z", "VC-R40-24DC relay"]


# --- measurements ----------------------------------------------------------------------------

def _proc_status(field: str) -> float:
    """A /proc/self/status value in MB (VmRSS, VmHWM, ...)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    return float("nan")


def rss_mb(collect: bool = True) -> float:
    if collect:
        gc.collect()
    return _proc_status("VmRSS")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class LogCounter(logging.Handler):
    """Counts WARNING and above by logger and level; prints the first of each kind."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[tuple[str, str]] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        key = (record.name, record.levelname)
        self.counts[key] += 1
        if self.counts[key] == 1:
            first = record.getMessage().splitlines()[0][:300] if record.getMessage() else ""
            print(f"  (first {record.levelname} from {record.name}: {first})", file=sys.stderr, flush=True)


class StatementTimer:
    """Wall time per SQL statement (by its text), to find slow queries as the store grows."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.totals: dict[str, list[float]] = {}  # statement -> [count, total s, max s]
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    @staticmethod
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("soak_started", []).append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - conn.info["soak_started"].pop()
        key = " ".join(statement.split())[:160]
        entry = self.totals.setdefault(key, [0, 0.0, 0.0])
        entry[0] += 1
        entry[1] += took
        entry[2] = max(entry[2], took)

    def top(self, n: int = 5) -> list[tuple[str, int, float, float]]:
        rows = sorted(self.totals.items(), key=lambda kv: -kv[1][1])[:n]
        return [(sql, int(c), total, worst) for sql, (c, total, worst) in rows]


# --- the mix ---------------------------------------------------------------------------------

def shift_refs(text: str, shift: int) -> str:
    """PO numbers moved by ``shift`` (each pass over the corpus quotes other orders)."""
    if not shift:
        return text
    return re.sub(r"\bP(\d{5})\b", lambda m: f"P{(int(m.group(1)) + shift) % 100000:05d}", text)


def _domain(sender: str) -> str:
    """The sender's mail domain, in ASCII (IDNA) for a Message-ID."""
    match = re.search(r"@([\w.-]+)", sender or "")
    try:
        return match.group(1).lower().encode("idna").decode("ascii") if match else "supplier.example"
    except UnicodeError:
        return "supplier.example"


class Mix:
    """The n-th signal of the run, made on demand (deterministic: seeded by n)."""

    def __init__(self, corpus: list[dict], pdfs: list[tuple[str, bytes]], limits, seed: int = SEED) -> None:
        self.corpus, self.pdfs, self.limits, self.seed = list(corpus), pdfs, limits, seed
        random.Random(seed).shuffle(self.corpus)  # every stretch of the run has every category
        self._kinds, weights = list(MIX), list(MIX.values())
        self._cumulative = [sum(weights[: i + 1]) for i in range(len(weights))]
        self.now = dt.datetime.now(dt.UTC)

    def _rng(self, n: int) -> random.Random:
        return random.Random(f"{self.seed}:{n}")

    def kind(self, n: int) -> str:
        roll = self._rng(n).random() * self._cumulative[-1]
        return next(k for k, c in zip(self._kinds, self._cumulative, strict=True) if roll < c)

    def bad_kind(self, n: int) -> str:
        return random.Random(f"{self.seed}:bad:{n}").choice(list(BAD))

    def expected_quarantine(self, n: int) -> str | None:
        return BAD[self.bad_kind(n)] if self.kind(n) == "bad" else None

    def children(self, n: int) -> int:
        return 1 if self.kind(n) == "eml+pdf" else 0

    def message_id(self, n: int) -> str:
        row = self.corpus[n % len(self.corpus)]
        return f"<soak-{self.seed}-{n}.{row['id']}@{_domain(row['from'])}>"

    def email(self, n: int) -> dict:
        """The n-th email's subject, body, sender, date, ids (the corpus row, its PO numbers shifted
        per pass; one in ten replies to an earlier email of the run)."""
        row = self.corpus[n % len(self.corpus)]
        shift = 1000 * (n // len(self.corpus))
        rng = self._rng(n)
        rng.random()  # the kind's roll
        reply_to = None
        if rng.random() < 0.10:
            earlier = [m for m in range(max(0, n - 60), n) if self.kind(m) in ("eml", "eml+pdf")]
            reply_to = self.message_id(rng.choice(earlier)) if earlier else None
        subject = shift_refs(row["subject"], shift)
        if reply_to and not subject.lower().startswith("re:"):
            subject = "Re: " + subject
        return {"id": f"{row['id']}-soak-{n}", "subject": subject, "body": shift_refs(row["body"], shift),
                "from": row["from"], "date": row["date"], "message_id": self.message_id(n), "reply_to": reply_to}

    def model_text(self, n: int) -> str:
        from triage.ingest.reply import split_reply
        from triage.models.text import join_newest

        mail = self.email(n)
        return join_newest(" ".join(mail["subject"].split()), split_reply(mail["body"]).newest)

    def _pdf(self, n: int) -> tuple[str, bytes]:
        name, data = self.pdfs[n % len(self.pdfs)]
        return name, data + f"%soak-{self.seed}-{n}\n".encode()  # a comment after %%EOF: unique bytes

    def _eml(self, n: int, attach: bool) -> bytes:
        from email.message import EmailMessage
        from email.utils import format_datetime

        mail = self.email(n)
        msg = EmailMessage()
        msg["From"] = mail["from"]
        msg["To"] = "Purchasing <purchasing@buyer.example>"
        msg["Subject"] = mail["subject"]
        msg["Date"] = format_datetime(dt.datetime.fromisoformat(mail["date"]))
        msg["Message-ID"] = mail["message_id"]
        if mail["reply_to"]:
            msg["In-Reply-To"] = msg["References"] = mail["reply_to"]
        msg.set_content(mail["body"])
        if attach:
            name, data = self._pdf(n)
            msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
        return msg.as_bytes()

    def _odoo(self, n: int, kind: str):
        from triage.domain import Finding
        from triage.ingest.odoo_records import OdooException

        rng = self._rng(n)
        partner = rng.choice(SUPPLIERS)
        amount = round(rng.choice([rng.uniform(200, 5_000), rng.uniform(5_000, 60_000), rng.uniform(90_000, 150_000)]),
                       2)
        write_date = (self.now - dt.timedelta(seconds=n)).strftime("%Y-%m-%d %H:%M:%S")
        if kind == "late_receipt":
            days = rng.randint(1, 30)
            planned = (self.now.date() - dt.timedelta(days=days)).isoformat()
            ordered = [rng.randint(10, 500) for _ in range(rng.randint(1, 3))]
            lines = [{"product": rng.choice(PRODUCTS), "ordered": float(q), "received": float(q // 2),
                      "planned": planned, "short": float(q - q // 2), "on_hand": float(rng.randint(0, 50)),
                      "forecast": float(rng.randint(-20, 50))} for q in ordered]
            name = f"P{50000 + n:06d}"
            findings = (Finding("lead_time_anomaly", f"{days} days late; the supplier is usually 2 days late",
                                {"days": days}),) if days > 14 else ()
            return OdooException(
                exception_type=kind, model="purchase.order", record_id=500_000 + n, name=name, write_date=write_date,
                partner=partner, summary=f"{name}: {len(lines)} line(s) not received, up to {days} days after the "
                                         "planned date",
                details={"days_late": days, "lines": lines, "amount_total": amount, "buyer_id": rng.randint(2, 9),
                         "currency": "EUR", "need_date": planned, "qty_short": sum(x["short"] for x in lines),
                         "stock_out": any(x["forecast"] <= 0 for x in lines)},
                findings=findings)
        name, ref = f"BILL/2026/{n:06d}", f"INV-{n:06d}"
        variance = round(rng.uniform(3, 25), 1)
        finding = Finding("price_variance", f"{rng.choice(PRODUCTS)}: billed {variance}% above the PO price",
                          {"pct": variance})
        return OdooException(
            exception_type=kind, model="account.move", record_id=700_000 + n, name=name, write_date=write_date,
            partner=partner, summary=f"{name} ({ref}): {finding.message}",
            details={"reference": ref, "amount_total": amount, "currency": "EUR",
                     "orders": [f"P{50000 + max(0, n - rng.randint(1, 500)):06d}"]},
            findings=(finding,))

    def _bad(self, n: int):
        from triage.ingest.files import from_eml, from_json, from_pdf

        kind, tag = self.bad_kind(n), f"soak-{self.seed}-{n}"
        if kind == "malformed_mime":  # a header line without a name, nothing else
            return from_eml(f":{tag}\r\n\r\n".encode(), f"{tag}.eml", self.limits)
        if kind == "empty_message":
            raw = f"Message-ID: <{tag}@empty.example>\r\nFrom: nobody@empty.example\r\nSubject: \r\n\r\n"
            return from_eml(raw.encode(), f"{tag}.eml", self.limits)
        if kind == "truncated_pdf":
            name, data = self.pdfs[n % len(self.pdfs)]
            return from_pdf(data[: len(data) // 3] + f"%{tag}\n".encode(), name, self.limits)
        if kind == "not_a_pdf":
            return from_pdf(f"PK\x03\x04 a zip named .pdf {tag}".encode(), f"{tag}.pdf", self.limits)
        if kind == "broken_json":
            return from_json(f'{{"id": "{tag}", "subject": "Invoice", "body": "cut off'.encode(), f"{tag}.json",
                             self.limits)
        return from_json(json.dumps({"id": tag, "subject": "no body"}).encode(), f"{tag}.json", self.limits)

    def intake(self, n: int):
        """The n-th signal, read as its source reads it (parsing and PDF reading included)."""
        from triage.ingest.files import from_eml, from_json, from_pdf
        from triage.ingest.odoo_records import to_intake

        kind = self.kind(n)
        if kind in ("eml", "eml+pdf"):
            return from_eml(self._eml(n, attach=kind == "eml+pdf"), f"soak-{n}.eml", self.limits)
        if kind == "json":
            mail = self.email(n)
            row = {k: mail[k] for k in ("id", "subject", "body", "from", "date", "message_id")}
            return from_json(json.dumps(row, ensure_ascii=False).encode(), f"soak-{n}.json", self.limits)
        if kind in ("late_receipt", "bill_mismatch"):
            return to_intake(self._odoo(n, kind), dt.datetime.now(dt.UTC))
        if kind == "pdf":
            name, data = self._pdf(n)
            return from_pdf(data, name, self.limits)
        return self._bad(n)


# --- stores ----------------------------------------------------------------------------------

def _libpq(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_pg_database(admin_url: str) -> tuple[str, str]:
    import psycopg

    name = f"triage_soak_{os.getpid()}"
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    from sqlalchemy.engine import make_url

    return name, make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def store_size_mb(engine, url: str) -> float:
    from sqlalchemy import text

    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20
    with engine.connect() as conn:
        return conn.execute(text("select pg_database_size(current_database())")).scalar() / 2**20


def flush_outbox(engine, writer) -> tuple[int, int, int]:
    """Flush until a round claims nothing (each round its own transaction, 100 rows at most)."""
    from triage import outbox
    from triage.store import repository as repo
    from triage.store import session_scope

    sent = failed = retrying = 0
    while True:
        with session_scope(engine) as session:
            result = outbox.flush(session, writer, stopped=lambda: None,
                                  case_of_decision=lambda d: repo.case_of_decision(session=session, decision_id=d))
        sent, failed, retrying = sent + result.sent, failed + result.failed, retrying + result.retrying
        if result.sent + result.failed + result.retrying == 0 or result.stopped:
            return sent, failed, retrying


def counts(engine) -> dict:
    from sqlalchemy import func, select

    from triage.store import repository as repo
    from triage.store import session_scope
    from triage.store.tables import ActivityRow, AuditEventRow, CaseRow, DecisionRow, OutboxRow, SignalRow

    with session_scope(engine) as session:
        return {
            "stored": session.scalar(select(func.count()).select_from(SignalRow)),
            "state": repo.count_by(session, SignalRow.state),
            "source": repo.count_by(session, SignalRow.source),
            "quarantined": repo.count_by(session, SignalRow.quarantine_reason, SignalRow.state == "quarantined"),
            "decisions": repo.count_by(session, DecisionRow.outcome),
            "outbox": repo.count_by(session, OutboxRow.state),
            "activities": session.scalar(select(func.count()).select_from(ActivityRow)),
            "activity_written": session.scalar(select(func.count()).select_from(AuditEventRow)
                                               .where(AuditEventRow.kind == "activity_written")),
            "cases": session.scalar(select(func.count()).select_from(CaseRow)),
        }


def _fmt(counter: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))) or "none"


class Baseline:
    """The model alone, no store, one text per ``predict`` (the flow's call): measured in small
    slices all through the soak, so it shares the machine's load with the flow. It also times the
    model's own part of ``predict`` (features and probabilities, through ``on_predict``) in the
    flow and in the slices: the same figure in both says the load was comparable."""

    def __init__(self, model, texts: list[str]) -> None:
        self.model, self.texts, self.next = model, texts, 0
        self.count, self.seconds = 0, 0.0
        self.model_seconds = {"flow": 0.0, "baseline": 0.0}
        self.model_calls = Counter()
        self._side = "baseline"
        chained = model.on_predict

        def on_predict(seconds: float) -> None:
            self.model_seconds[self._side] += seconds
            self.model_calls[self._side] += 1
            if chained is not None:
                chained(seconds)

        for text in texts[:16]:  # warm-up, not counted
            model.predict([text])
        model.on_predict = on_predict
        self._side = "flow"

    def measure(self, k: int, *, count: bool = True) -> tuple[int, float]:
        """Classify the next ``k`` texts; (k, seconds) of the slice, added to the rate if ``count``."""
        self._side = "baseline" if count else "ends"
        self.model_seconds.setdefault("ends", 0.0)
        started = time.perf_counter()
        for _ in range(k):
            self.model.predict([self.texts[self.next % len(self.texts)]])
            self.next += 1
        took = time.perf_counter() - started
        self._side = "flow"
        if count:
            self.count, self.seconds = self.count + k, self.seconds + took
        return k, took

    def model_ms(self, side: str) -> float:
        return 1000 * self.model_seconds[side] / self.model_calls[side] if self.model_calls[side] else float("nan")

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def batched(self) -> float:
        """For comparison: 32 texts per predict, as ``triage classify`` does (not counted)."""
        started = time.perf_counter()
        for start in range(0, len(self.texts), 32):
            self.model.predict(self.texts[start:start + 32])
        return len(self.texts) / (time.perf_counter() - started)


def soak(store: str, url: str, settings, mix: Mix, signals: int, texts: list[str]) -> dict:
    """Run ``signals`` signals through the flow on one store; print progress; return the figures."""
    from triage import pipeline
    from triage.activities import DryRunWriter
    from triage.services import build_services
    from triage.store import connect, migrate, session_scope

    settings = settings.model_copy(update={"database_url": url})
    engine = connect(url)
    migrate(engine)
    timer = StatementTimer(engine)
    services = build_services(settings)
    writer = DryRunWriter()
    baseline = Baseline(services.model, texts)
    count, took = baseline.measure(BASELINE_ENDS, count=False)
    print(f"[{store}] baseline before: model {services.model.name} v{services.model.version}, no store: "
          f"{count / took:.1f} texts/s one per predict (the flow's call); {baseline.batched():.1f}/s 32 per predict",
          flush=True)
    per_kind_time: dict[str, float] = defaultdict(float)
    per_kind_count: Counter[str] = Counter()
    expected_quarantine: Counter[str] = Counter()
    flushed = [0, 0, 0]
    flow = flush_time = 0.0  # seconds in the flow (reading, ingest, outbox flushes): the baseline slices excluded
    duplicates = 0
    crashes: list[str] = []
    rss_start = rss_peak = 0.0
    fds_start = threads_start = 0
    warm_flow = None  # the flow clock at the end of the warm-up
    windows: list[tuple[float, float]] = []  # (signals/s, baseline texts/s) per progress window
    window = {"first": 0, "flow": 0.0, "texts": 0, "seconds": 0.0}
    wall_started = time.perf_counter()
    print(f"[{store}] {signals} signals; warm-up {min(WARMUP, signals)}; RSS {rss_mb():.1f} MB before the first",
          flush=True)
    for n in range(signals):
        kind = mix.kind(n)
        began = time.perf_counter()
        try:
            intake = mix.intake(n)
            with session_scope(engine) as session:
                result = pipeline.ingest(session, intake, services)
            duplicates += result.duplicate
        except Exception:  # a product bug: recorded, shown, and the loop goes on (the checks fail)
            crashes.append(f"signal {n} ({kind}): {traceback.format_exc()}")
            if len(crashes) <= 3:
                print(f"[{store}] signal {n} ({kind}) raised out of the flow:\n{crashes[-1]}", file=sys.stderr,
                      flush=True)
        took = time.perf_counter() - began
        per_kind_time[kind] += took
        per_kind_count[kind] += 1
        flow += took
        if (reason := mix.expected_quarantine(n)) is not None:
            expected_quarantine[reason] += 1
        done = n + 1
        if done % FLUSH_EVERY == 0 or done == signals:
            began = time.perf_counter()
            flushed = [a + b for a, b in zip(flushed, flush_outbox(engine, writer), strict=True)]
            took = time.perf_counter() - began
            flush_time, flow = flush_time + took, flow + took
        if done == min(WARMUP, signals):
            rss_start = rss_peak = rss_mb()
            fds_start, threads_start = open_fds(), threading.active_count()
            warm_flow = flow
            print(f"[{store}] warm-up done ({done}): RSS start {rss_start:.1f} MB, {fds_start} open fds, "
                  f"{threads_start} threads", flush=True)
        elif done % 100 == 0 and warm_flow is not None:
            rss_peak = max(rss_peak, rss_mb(collect=False))
        if done % BASELINE_EVERY == 0 or done == signals:
            count, took = baseline.measure(BASELINE_SLICE)
            window["texts"], window["seconds"] = window["texts"] + count, window["seconds"] + took
        if done % PROGRESS_EVERY == 0 or done == signals:
            rate = (done - window["first"]) / (flow - window["flow"])
            base = window["texts"] / window["seconds"]
            windows.append((rate, base))
            print(f"[{store}] {done:6d}/{signals}  {done / flow:6.1f} signals/s so far, {rate:6.1f}/s in the last "
                  f"{done - window['first']} ({rate / base:.2f}x the baseline's {base:.1f}/s meanwhile), "
                  f"RSS {rss_mb(collect=False):7.1f} MB", flush=True)
            window = {"first": done, "flow": flow, "texts": 0, "seconds": 0.0}
    wall = time.perf_counter() - wall_started
    rss_end = rss_mb()
    rss_peak = max(rss_peak, rss_end)
    fds_end, threads_end = open_fds(), threading.active_count()
    found = counts(engine)
    size = store_size_mb(engine, url)
    engine.dispose()
    count, took = baseline.measure(BASELINE_ENDS, count=False)
    print(f"[{store}] baseline after: {count / took:.1f} texts/s; during the soak {baseline.rate:.1f}/s "
          f"({baseline.count} texts, {BASELINE_SLICE} every {BASELINE_EVERY} signals); the model's part of predict: "
          f"{baseline.model_ms('baseline'):.1f} ms in the baseline, {baseline.model_ms('flow'):.1f} ms in the flow "
          f"({baseline.model_calls['flow']} calls)", flush=True)
    emails = sum(per_kind_count[k] for k in EMAIL_KINDS)
    email_rate = emails / sum(per_kind_time[k] for k in EMAIL_KINDS) if emails else float("nan")
    steady = (signals - WARMUP) / (flow - warm_flow) if signals > WARMUP else signals / flow

    submitted_children = sum(mix.children(n) for n in range(signals))
    processed = found["state"].get("processed", 0)
    quarantined = found["state"].get("quarantined", 0)
    approved = found["decisions"].get("approve", 0)
    outbox_rows = sum(found["outbox"].values())
    checks = [
        ("no signal raised out of the flow", not crashes, f"{len(crashes)} raised"),
        ("no signal was taken for a duplicate", duplicates == 0, f"{duplicates} duplicates"),
        ("signals stored == submitted + attached documents", found["stored"] == signals + submitted_children,
         f"{found['stored']} stored, {signals} + {submitted_children} submitted"),
        ("processed + quarantined == signals stored", processed + quarantined == found["stored"],
         f"{processed} + {quarantined} vs {found['stored']} (states: {_fmt(found['state'])})"),
        ("quarantined as the bad inputs expect", found["quarantined"] == dict(expected_quarantine),
         f"stored {_fmt(found['quarantined'])}; expected {_fmt(expected_quarantine)}"),
        ("a decision for every processed signal", sum(found["decisions"].values()) == processed,
         f"{sum(found['decisions'].values())} decisions, {processed} processed"),
        ("an outbox row for every approval, none left pending", outbox_rows == approved and not
         found["outbox"].get("pending"), f"{outbox_rows} outbox rows ({_fmt(found['outbox'])}), {approved} approved"),
        ("every row sent is an activity written", found["activity_written"] == flushed[0],
         f"{found['activity_written']} audited, {flushed[0]} sent"),
    ]
    growth = rss_end - rss_start
    growth_pct = growth / rss_start if rss_start else float("nan")
    flat = growth_pct < FLAT
    print(f"[{store}] {signals} signals in {flow:.0f}s of flow ({wall:.0f}s with the baseline slices): "
          f"{signals / flow:.1f} signals/s overall, {steady:.1f}/s after the warm-up = {steady / baseline.rate:.2f}x "
          f"the baseline; its {emails} emails alone {email_rate:.1f}/s = {email_rate / baseline.rate:.2f}x; "
          f"outbox flushes {flush_time:.1f}s", flush=True)
    print(f"[{store}] per kind (mean ms per signal, read + flow): " + ", ".join(
        f"{k} {per_kind_count[k]} x {1000 * per_kind_time[k] / per_kind_count[k]:.1f}" for k in MIX
        if per_kind_count[k]), flush=True)
    print(f"[{store}] signals stored {found['stored']} ({_fmt(found['source'])}); states: {_fmt(found['state'])}",
          flush=True)
    print(f"[{store}] quarantined by reason: {_fmt(found['quarantined'])}", flush=True)
    print(f"[{store}] decisions by outcome: {_fmt(found['decisions'])}; cases {found['cases']}", flush=True)
    print(f"[{store}] outbox: {_fmt(found['outbox'])}; sent {flushed[0]}, failed {flushed[1]}, retrying "
          f"{flushed[2]}; activities: {found['activities']} rows, {found['activity_written']} written (audited); "
          f"the DryRunWriter holds {len(writer.written)} specs (bounded: maxlen {writer.written.maxlen})", flush=True)
    print(f"[{store}] RSS start {rss_start:.1f} MB, end {rss_end:.1f} MB, peak {rss_peak:.1f} MB: growth "
          f"{growth:+.1f} MB ({growth_pct:+.1%}) -> {'flat' if flat else 'NOT flat'} (flat: < {FLAT:.0%}); "
          f"open fds {fds_start} -> {fds_end}, threads {threads_start} -> {threads_end}; store {size:.1f} MB",
          flush=True)
    if len(windows) >= 3:
        last = windows[-2] if signals % PROGRESS_EVERY else windows[-1]
        print(f"[{store}] signals/s per {PROGRESS_EVERY} (x the baseline meanwhile): "
              + " ".join(f"{r:.1f} ({r / b:.2f}x)" for r, b in windows)
              + f"; the last full window against the second: {last[0] / windows[1][0]:.2f} in signals/s, "
              f"{(last[0] / last[1]) / (windows[1][0] / windows[1][1]):.2f} in x the baseline", flush=True)
    print(f"[{store}] SQL, most time: " + "; ".join(
        f"{count} x {1000 * total / count:.2f} ms (max {1000 * worst:.0f} ms) {sql[:90]}"
        for sql, count, total, worst in timer.top(4)), flush=True)
    for name, ok, detail in checks:
        print(f"[{store}] check {'ok  ' if ok else 'FAIL'} {name}: {detail}", flush=True)
    return {"store": store, "signals": signals, "wall": wall, "rate": signals / flow, "steady": steady,
            "baseline": baseline.rate, "email_rate": email_rate,
            "rss_start": rss_start, "rss_end": rss_end, "rss_peak": rss_peak, "growth": growth,
            "growth_pct": growth_pct, "flat": flat, "ok": all(ok for _, ok, _ in checks)}


# --- baseline and main -----------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signals", type=int, default=10_000)
    parser.add_argument("--stores", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="a PostgreSQL server where the user may create databases")
    parser.add_argument("--baseline-texts", type=int, default=400, help="distinct email texts the baseline cycles over")
    args = parser.parse_args()
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    unknown = set(stores) - {"sqlite", "postgresql"}
    if unknown or not stores:
        parser.error(f"--stores takes sqlite and/or postgresql, not {', '.join(sorted(unknown)) or 'nothing'}")
    if args.signals < 1:
        parser.error("--signals must be at least 1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    log_counter = LogCounter()
    logging.getLogger().addHandler(log_counter)
    logging.getLogger().setLevel(logging.WARNING)
    logging.captureWarnings(True)

    from training.dataset import load_corpus
    from triage.config import load_settings
    from triage.errors import TriageError
    from triage.services import load_model

    overall = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="triage-soak-"))
    pg_name = None
    results = []
    try:
        settings = load_settings()
        try:
            load_model(settings)
        except TriageError:
            from training.train import run_training

            settings = load_settings(data_dir=work / "var")
            print(f"no model in {load_settings().data_dir}: training one into {settings.data_dir} ...", flush=True)
            run_training(settings, quiet=True, fine_tune_epochs=0)  # speed does not depend on the weights
        # no Odoo (the DryRunWriter), the packaged policy: the same flow on every machine
        settings = settings.model_copy(update={"odoo": settings.odoo.model_copy(update={"url": None}),
                                               "policy_file": None})
        corpus = load_corpus()
        pdfs = [(p.name, p.read_bytes()) for p in sorted(PDF_FIXTURES.glob("*.pdf"))]
        mix = Mix(corpus, pdfs, settings.limits)
        kinds = Counter(mix.kind(n) for n in range(args.signals))
        print(f"mix of {args.signals} signals: {_fmt(kinds)}; bad inputs: "
              f"{_fmt(Counter(mix.bad_kind(n) for n in range(args.signals) if mix.kind(n) == 'bad'))}",
              flush=True)

        emails = [n for n in range(args.signals) if mix.kind(n) in EMAIL_KINDS][: args.baseline_texts]
        texts = [mix.model_text(n) for n in emails]
        print(f"RSS {rss_mb():.1f} MB (VmHWM {_proc_status('VmHWM'):.1f} MB) before the stores", flush=True)

        for store in stores:
            if store == "sqlite":
                url = f"sqlite:///{work / 'soak.db'}"
            else:
                try:
                    pg_name, url = create_pg_database(args.pg_url)
                except Exception as exc:
                    raise SystemExit(f"PostgreSQL is not reachable at {args.pg_url} ({exc}); start it or pass "
                                     "--pg-url, or run with --stores sqlite") from exc
            try:
                results.append(soak(store, url, settings, mix, args.signals, texts))
            finally:
                if pg_name is not None:
                    drop_pg_database(args.pg_url, pg_name)
                    pg_name = None
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"{args.signals} signals per store on a {os.cpu_count()}-core machine. baseline: the model's predict, one "
          "text at a time, no store, in slices through the soak; steady: after the warm-up")
    print(f"{'store':10} {'signals/s':>9} {'steady/s':>9} {'baseline':>8} {'x base':>7} {'emails/s':>8} {'x base':>7} "
          f"{'RSS start':>10} {'end':>8} {'peak':>8} {'growth':>15} verdict")
    for r in results:
        print(f"{r['store']:10} {r['rate']:9.1f} {r['steady']:9.1f} {r['baseline']:8.1f} "
              f"{r['steady'] / r['baseline']:7.2f} {r['email_rate']:8.1f} {r['email_rate'] / r['baseline']:7.2f} "
              f"{r['rss_start']:9.1f}M {r['rss_end']:7.1f}M {r['rss_peak']:7.1f}M "
              f"{r['growth']:+7.1f}M {r['growth_pct']:+6.1%} {'flat' if r['flat'] else 'NOT flat'}")
    if log_counter.counts:
        print("log records at WARNING and above: " + "; ".join(
            f"{name} {level} x{count}" for (name, level), count in log_counter.counts.most_common()))
    else:
        print("log records at WARNING and above: none")
    print(f"took {time.perf_counter() - overall:.0f}s in all; VmHWM {_proc_status('VmHWM'):.1f} MB")
    failed = [r["store"] for r in results if not r["ok"] or not r["flat"]]
    if failed:
        print(f"FAILED on {', '.join(failed)}: see the checks and the memory verdict above")
        sys.exit(1)


if __name__ == "__main__":
    main()
