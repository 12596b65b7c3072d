"""The ``triage`` command. Each command builds what it needs from Settings; nothing at import."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from triage.config import load_settings
from triage.errors import TriageError

app = typer.Typer(
    name="triage",
    help="AI-assisted exception triage for distributors that run Odoo.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
ingest_app = typer.Typer(help="Ingest signals and run the flow on them.", no_args_is_help=True)
db_app = typer.Typer(help="The store's schema.", no_args_is_help=True)
sync_app = typer.Typer(help="Rounds with the systems triage reads from.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys for the HTTP API (scopes: ingest, review, admin).", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(db_app, name="db")
app.add_typer(apikey_app, name="apikey")
app.add_typer(sync_app, name="sync")
policy_app = typer.Typer(help="The policy gate: check a policy file, simulate it on stored cases, the kill switch.",
                         no_args_is_help=True)
app.add_typer(policy_app, name="policy")

out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)


def _settings():
    from triage.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


# --- flow commands ---------------------------------------------------------------------------


def _run_files(paths: list[Path], settings, *, progress_label: str):
    """Ingest files, run the flow, flush the outbox; returns (results, writer, flush result)."""
    from rich.progress import Progress

    from triage import outbox, pipeline
    from triage.ingest.files import read_file
    from triage.switches import writes_stopped
    from triage.services import build_services, build_writer, open_store
    from triage.store import repository as repo
    from triage.store import session_scope

    engine = open_store(settings)
    services = build_services(settings)
    writer = build_writer(settings)
    results = []
    with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task(progress_label, total=len(paths))
        for path in paths:
            with session_scope(engine) as session:
                results.append((path, pipeline.ingest(session, read_file(path, settings.limits), services)))
            progress.advance(task)
    with session_scope(engine) as session:
        flushed = outbox.flush(
            session, writer, stopped=lambda: writes_stopped(session, services.policy_file),
            case_of_decision=lambda decision_id: repo.case_of_decision(session=session, decision_id=decision_id),
        )
    return engine, results, writer, flushed


def _results_table(results) -> Table:
    table = Table(title="Signals", show_lines=False)
    for column in ("file", "state", "category", "conf.", "prio", "action", "decision (rule)"):
        table.add_column(column)
    for path, r in results:
        state = "duplicate" if r.duplicate else r.state
        if r.reason:
            state += f" ({r.reason})"
        table.add_row(
            path.name, state, r.category or "", f"{r.confidence:.2f}" if r.confidence is not None else "",
            f"P{r.priority}" if r.priority else "", r.action or "",
            f"{r.decision} ({r.rule})" if r.decision else "",
        )
    return table


def _activities_table(writer) -> Table:
    table = Table(title=f"Activities written by the {writer.name} writer in this run")
    for column in ("record", "type", "summary", "deadline", "assignee", "mode"):
        table.add_column(column)
    for spec in getattr(writer, "written", []):
        table.add_row(f"{spec.res_model} {spec.res_name}", spec.key.rsplit(":", 1)[-1], spec.summary,
                      spec.deadline.isoformat(), spec.assignee or "(record's buyer)",
                      "update" if spec.update else "create")
    return table


def _summary(results, writer, flushed) -> str:
    new = sum(1 for _, r in results if not r.duplicate)
    quarantined = sum(1 for _, r in results if not r.duplicate and r.state == "quarantined")
    return (f"{new} new signal(s), {len(results) - new} already stored, {quarantined} quarantined; "
            f"{flushed.sent} activity write(s) to the {writer.name} writer, {flushed.retrying} retrying, "
            f"{flushed.failed} failed" + _stopped(flushed.stopped))


def _stopped(reason: str | None) -> str:
    return f"; WRITES STOPPED, approved activities wait in the outbox: {reason}" if reason else ""


def _print_activities(writer, engine=None) -> None:
    if getattr(writer, "written", None):
        out.print(_activities_table(writer))
    else:
        out.print(f"Nothing new for the {writer.name} writer: every approved activity is already written.")
    if engine is not None:
        _print_write_errors(engine)


def _print_write_errors(engine) -> None:
    """Why outbox items failed or wait for a retry (validation errors are not retried)."""
    from triage.status import write_errors
    from triage.store import session_scope

    with session_scope(engine) as session:
        for item in reversed(write_errors(session, limit=500)):
            what = "failed" if item["state"] == "failed" else f"will be retried (attempt {item['attempts']})"
            err.print(f"activity on {item['record']} {what}: {item['error']}")


@ingest_app.command("file")
def ingest_file(
    paths: Annotated[list[Path], typer.Argument(help=".eml, .pdf or .json (an email row) files", exists=True,
                                                 dir_okay=False, readable=True)],
) -> None:
    """Ingest .eml, .pdf or .json files, then run the flow on them."""
    settings = _settings()
    try:
        engine, results, writer, flushed = _run_files(list(paths), settings, progress_label="ingesting")
    except TriageError as exc:
        _fail(str(exc))
    out.print(_results_table(results))
    _print_activities(writer, engine)
    out.print(_summary(results, writer, flushed))


@ingest_app.command("mailbox")
def ingest_mailbox(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Poll the configured IMAP folders once (TRIAGE_IMAP_*): store new messages, run the flow,
    flush the outbox. Signals an earlier run stored but did not get to run through the flow (it
    was stopped between the two) run first, once they are TRIAGE_RETRY_SECONDS old. `triage
    serve` polls on the schedule (TRIAGE_IMAP_POLL_SECONDS)."""
    from triage import leases
    from triage.errors import MailboxError
    from triage.ingest.imap import poll
    from triage.jobs import run_left_behind
    from triage.services import build_services, build_writer, open_store
    from triage.store import session_scope

    settings = _settings()
    if not settings.imap.configured:
        _fail("the mailbox is not configured: set TRIAGE_IMAP_HOST, TRIAGE_IMAP_USER and TRIAGE_IMAP_PASSWORD "
              "(or TRIAGE_IMAP_OAUTH2_TOKEN / TRIAGE_IMAP_OAUTH2_TOKEN_FILE)")
    try:
        engine = open_store(settings)
        services = build_services(settings)
        with session_scope(engine) as session:
            behind = leases.expired_signals(session=session, grace_seconds=settings.retry_seconds)
        earlier = run_left_behind(engine, services, behind, lease_seconds=settings.lease_seconds) if behind else {}
        report = poll(engine, services, settings)
        flushed = _flush(engine, build_writer(settings), services)
    except MailboxError as exc:
        _fail(f"mailbox: {exc}")
    except TriageError as exc:
        _fail(str(exc))
    if as_json:
        out.print_json(json.dumps({**report.as_dict(), "left_behind": earlier, "outbox": vars(flushed)}))
        return
    if earlier:
        out.print("left behind by an earlier run, now through the flow: "
                  + ", ".join(f"{n} {state}" for state, n in earlier.items() if n))
    for folder in report.folders:
        what = folder.skipped or (f"{folder.seen} fetched, {folder.stored} new, {folder.duplicates} already stored, "
                                  f"{folder.quarantined} quarantined, {folder.documents} attached document(s)"
                                  + (" (UIDVALIDITY changed: read again)" if folder.rescanned else ""))
        out.print(f"{report.mailbox}/{folder.folder}: {what}")
    out.print(f"{flushed.sent} activity write(s), {flushed.retrying} retrying, {flushed.failed} failed"
              + _stopped(flushed.stopped))


def _flush(engine, writer, services):
    from triage import outbox
    from triage.switches import writes_stopped
    from triage.store import repository as repo
    from triage.store import session_scope

    with session_scope(engine) as session:
        return outbox.flush(session, writer, stopped=lambda: writes_stopped(session, services.policy_file),
                            case_of_decision=lambda d: repo.case_of_decision(session=session, decision_id=d))


@app.command()
def replay(
    ids: Annotated[list[int] | None, typer.Argument(help="signal ids (default: every quarantined signal)")] = None,
    reason: Annotated[str | None, typer.Option(help="only signals quarantined for this reason")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Replay quarantined signals once the cause is fixed: read the kept original again (or, for
    a processing error, run the flow again); what still fails stays quarantined with its reason."""
    import getpass

    from triage.replay import replay_all
    from triage.services import build_services, build_writer, open_store

    settings = _settings()
    try:
        engine = open_store(settings)
        services = build_services(settings)
        results = replay_all(engine, services, ids=ids, reason=reason, by=f"cli:{getpass.getuser()}")
        flushed = _flush(engine, build_writer(settings), services)
    except TriageError as exc:
        _fail(str(exc))
    if as_json:
        out.print_json(json.dumps({"replayed": [vars(r) for r in results], "outbox": vars(flushed)}))
        return
    table = Table(title=f"Replayed {len(results)} quarantined signal(s)")
    for column in ("signal", "outcome", "detail"):
        table.add_column(column)
    for result in results:
        table.add_row(str(result.signal_id), result.outcome, result.detail)
    out.print(table)
    out.print(f"{flushed.sent} activity write(s), {flushed.retrying} retrying, {flushed.failed} failed"
              + _stopped(flushed.stopped))


@app.command()
def demo() -> None:
    """The whole flow on bundled sample emails and PDFs; prints what it would write to Odoo."""
    from importlib.resources import files

    import model_registry

    settings = _settings()
    started = time.perf_counter()
    model_registry.configure(settings.tracking_uri)
    if model_registry.alias_version(settings.model.name, settings.model.alias) is None:
        err.print(f"No '{settings.model.name}@{settings.model.alias}' in {settings.tracking_uri}: "
                  "training a quick model on the seed corpus (frozen encoder; `python -m training.train` "
                  "also fine-tunes the encoder, about 8 minutes, for a better one) ...")
        from training.train import run_training

        result = run_training(settings, fine_tune_epochs=0)
        err.print(f"Registered version {result.version} (macro-F1 {result.metrics['macro_f1']:.3f} "
                  "on the evaluation split).")
    samples = sorted(p for p in Path(str(files("triage.demo") / "samples")).iterdir()
                     if p.suffix in (".eml", ".pdf"))
    try:
        engine, results, writer, flushed = _run_files(samples, settings, progress_label="demo")
    except TriageError as exc:
        _fail(str(exc))
    out.print(_cases_table(engine))
    _print_activities(writer, engine)
    out.print(f"{_summary(results, writer, flushed)}; data in {settings.data_dir}; "
              f"{time.perf_counter() - started:.1f}s")


def _cases_table(engine) -> Table:
    from sqlalchemy import select

    from triage.store import session_scope
    from triage.store.tables import AssessmentRow, CaseRow, DecisionRow, ProposalRow

    table = Table(title="Cases")
    for column in ("case", "record", "category", "conf.", "prio", "proposed action", "decision (rule)"):
        table.add_column(column)
    with session_scope(engine) as session:
        for case in session.scalars(select(CaseRow).order_by(CaseRow.id)):
            latest = session.execute(
                select(AssessmentRow, ProposalRow, DecisionRow)
                .join(ProposalRow, ProposalRow.assessment_id == AssessmentRow.id)
                .join(DecisionRow, DecisionRow.proposal_id == ProposalRow.id)
                .where(AssessmentRow.case_id == case.id).order_by(AssessmentRow.id.desc()).limit(1)
            ).first()
            if latest is None:
                continue
            a, p, d = latest
            table.add_row(str(case.id), f"{case.record_model or '-'} {case.record_name or ''}", a.category,
                          f"{a.confidence:.2f}", f"P{a.priority}", p.action, f"{d.outcome} ({d.rule})")
    return table


@app.command()
def classify(
    input: Annotated[Path, typer.Option("--input", help="JSONL of email rows", exists=True, dir_okay=False)],
    output: Annotated[Path, typer.Option("--output", help="JSONL of classify output rows")],
) -> None:
    """Classify email rows offline: category, confidence (with a low-confidence flag), priority,
    language, fields and an explanation per row."""
    from triage.classify import classify_rows, row_problem
    from triage.services import load_model

    settings = _settings()
    try:
        model = load_model(settings)
    except TriageError as exc:
        _fail(str(exc))
    results: list[tuple[int, dict]] = []
    good: list[tuple[int, dict]] = []
    for number, line in enumerate(input.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            results.append((number, {"id": number, "error": f"line {number}: invalid JSON: {exc}"}))
            continue
        problem = row_problem(row)
        if problem:
            results.append((number, {"id": row.get("id", number) if isinstance(row, dict) else number,
                                     "error": problem}))
        else:
            good.append((number, {**row, "id": row.get("id", number)}))
    from rich.progress import Progress

    started = time.perf_counter()
    classified: list[dict] = []
    batch = 32
    with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("classifying", total=len(good))
        for start in range(0, len(good), batch):
            chunk = [row for _, row in good[start : start + batch]]
            classified += classify_rows(model, chunk)
            progress.advance(task, len(chunk))
    results += [(number, out_row) for (number, _), out_row in zip(good, classified, strict=True)]
    results.sort(key=lambda item: item[0])
    with output.open("w", encoding="utf-8") as fh:
        for _, result in results:
            fh.write(json.dumps(result, ensure_ascii=False) + "\n")
    errors = sum(1 for _, r in results if "error" in r)
    err.print(f"{len(results) - errors} row(s) classified, {errors} error(s), "
              f"{time.perf_counter() - started:.1f}s -> {output}")


@app.command()
def extract(
    files: Annotated[list[Path], typer.Argument(help="PDF files", exists=True, dir_okay=False)],
    as_json: Annotated[bool, typer.Option("--json", help="print the results as a JSON list")] = False,
) -> None:
    """Read supplier PDFs without templates: type, header fields, line items, a confidence per
    field and the checks' flags. Nothing is stored. Exits 1 when a file could not be read."""
    from rich.progress import Progress

    from triage.documents import extract_file

    settings = _settings()
    results = []
    with Progress(console=err, transient=True, disable=not err.is_terminal or len(files) < 2) as progress:
        task = progress.add_task("reading", total=len(files))
        for path in files:
            results.append(extract_file(path, settings.limits))
            progress.advance(task)
    if as_json:
        out.print_json(json.dumps(results, ensure_ascii=False))
    else:
        for result in results:
            _print_extract(result)
    if any(r["status"] == "quarantined" for r in results):
        raise typer.Exit(1)


def _print_extract(result: dict) -> None:
    out.print(f"[bold]{result['file']}[/bold]: {result.get('doc_type', '-')}, {result['status']}"
              + (f" ({result.get('reason')}): {result['error']}" if result["status"] == "quarantined"
                 else f": {result['error']}" if result.get("error") else ""))
    if result["status"] != "ok":
        return
    fields = Table("field", "value", "confidence", box=None)
    for name, value in result["fields"].items():
        shown = ", ".join(value) if isinstance(value, list) else "" if value is None else str(value)
        fields.add_row(name, shown, f"{result['confidence'].get(name, 0):.2f}")
    out.print(fields)
    if result["lines"]:
        lines = Table("sku", "description", "quantity", "unit", "unit price", "subtotal")
        for line in result["lines"]:
            lines.add_row(*("" if line[k] is None else str(line[k])
                            for k in ("sku", "description", "quantity", "unit", "unit_price", "subtotal")))
        out.print(lines)
    for flag in result["flags"]:
        out.print(f"  [yellow]flag[/yellow] {flag['field']}: {flag['code']}")


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Counts and health: signals, quarantine, cases, decisions, outbox, feedback, model."""
    import model_registry
    from triage.services import open_store
    from triage.status import status as compute
    from triage.store import session_scope

    settings = _settings()
    engine = open_store(settings)
    model_registry.configure(settings.tracking_uri)
    version = model_registry.alias_version(settings.model.name, settings.model.alias)
    with session_scope(engine) as session:
        data = compute(session, model={"name": settings.model.name, "alias": settings.model.alias, "version": version})
    if as_json:
        out.print_json(json.dumps(data))
        return
    table = Table(title=f"triage status ({settings.data_dir})")
    table.add_column("section")
    table.add_column("counts")
    for section, value in data.items():
        if isinstance(value, dict) and all(isinstance(v, dict | list) for v in value.values()) and value:
            for sub, counts in value.items():
                if isinstance(counts, list):  # e.g. outbox.errors: one row each
                    for item in counts:
                        table.add_row(f"{section}.{sub}", ", ".join(f"{k}={v}" for k, v in item.items()))
                    continue
                table.add_row(f"{section}.{sub}", ", ".join(f"{k}={v}" for k, v in counts.items()) or "-")
        else:
            table.add_row(section, ", ".join(f"{k}={v}" for k, v in value.items()) or "-")
    out.print(table)


@sync_app.command("odoo")
def sync_odoo(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    unconfirmed_days: Annotated[int, typer.Option(help="a sent PO unconfirmed this many days is an exception")] = 3,
) -> None:
    """One full round with Odoo: exception queries, the flow on them, outbox flush, the review read back,
    activities closed whose exception Odoo shows resolved."""
    from triage.errors import OdooError
    from triage.odoo_sync import sync
    from triage.services import build_services, build_writer, open_store
    from triage.store import repository as repo
    from triage.store import session_scope

    settings = _settings()
    if not settings.odoo.configured:
        _fail("Odoo is not configured: set TRIAGE_ODOO_URL, TRIAGE_ODOO_DB, TRIAGE_ODOO_USER and TRIAGE_ODOO_PASSWORD")
    try:
        engine = open_store(settings)
        services = build_services(settings)
        writer = build_writer(settings)
        report = sync(engine, services, writer, writer.gateway, settings, unconfirmed_days=unconfirmed_days)
    except OdooError as exc:
        with session_scope(engine) as session:
            repo.record_source_check(session=session, source="odoo", name=settings.odoo.url or "odoo",
                                     error=f"{type(exc).__name__}: {exc}")
        _fail(f"Odoo: {exc}")
    except TriageError as exc:
        _fail(str(exc))
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
        return
    found = ", ".join(f"{k}={v}" for k, v in sorted(report.found.items())) or "none"
    out.print(f"Odoo exceptions found: {found}; {report.new_signals} new; decisions: "
              f"{', '.join(f'{k}={v}' for k, v in sorted(report.decisions.items())) or '-'}; "
              f"{report.written} activity write(s), {report.retrying} retrying, {report.failed} failed; "
              f"reviews read back: done={report.feedback.get('done', 0)}, "
              f"cancelled={report.feedback.get('cancelled', 0)}; "
              f"closed as resolved in Odoo: {report.resolved}" + _stopped(report.stopped))
    _print_write_errors(engine)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the store's migrations (also done on every start)."""
    from triage.services import open_store

    settings = _settings()
    open_store(settings)
    out.print(f"store at {settings.store_url.split('@')[-1]} is up to date")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """The HTTP API, plus the in-process scheduler when TRIAGE_SCHEDULER=inprocess (the default)."""
    import uvicorn

    from triage.api import create_app
    from triage.api.runtime import Runtime
    from triage.jobs import InProcessScheduler, JobContext
    from triage.services import build_writer

    settings = _settings()
    try:
        runtime = Runtime.start(settings)
        writer = build_writer(settings)
    except TriageError as exc:
        _fail(str(exc))
    scheduler = None
    if settings.scheduler == "inprocess":
        scheduler = InProcessScheduler(JobContext(settings, runtime.engine, writer, runtime.metrics,
                                                  services=runtime.services))
        scheduler.start()
    ready, detail = runtime.model_ready()
    err.print(f"triage {settings.scheduler} scheduler; model: {detail if ready else 'none yet (' + detail + ')'}")
    server = uvicorn.Server(uvicorn.Config(create_app(settings, runtime=runtime), host=host, port=port,
                                           log_config=None, timeout_graceful_shutdown=30))
    # uvicorn handles SIGTERM/SIGINT as a graceful shutdown and then re-raises the signal to the
    # handler it found at start: make that a no-op so the scheduler below is stopped cleanly.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    try:
        server.run()
    finally:
        if scheduler is not None:
            scheduler.stop()  # a running job finishes; nothing is left half-written
        runtime.close()


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="worker processes")] = 2,
    loglevel: Annotated[str, typer.Option(help="Celery log level")] = "INFO",
) -> None:
    """A Celery worker (scale-out mode): processes signals and runs the jobs beat sends."""
    from triage.celery_app import configure
    from triage.services import open_store

    settings = _settings()
    open_store(settings).dispose()  # migrations applied once, before the pool forks
    configure(settings).worker_main(["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}",
                                     "--pool=prefork", "--without-gossip", "--without-mingle",
                                     f"--hostname=triage@{socket.gethostname()}:{os.getpid()}"])


@app.command()
def beat(loglevel: Annotated[str, typer.Option(help="Celery log level")] = "INFO") -> None:
    """Celery beat: the one scheduler of a scale-out deployment (outbox flushes, lease reclaims)."""
    from triage.celery_app import configure

    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    configure(settings).start(["beat", f"--loglevel={loglevel}",
                               f"--schedule={settings.data_dir / 'celerybeat-schedule'}"])


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Option(help="who or what uses the key")],
    scopes: Annotated[str, typer.Option(help="comma-separated: ingest, review, admin")],
) -> None:
    """Create a key; it is printed once, as the last word of the output, and stored only as a hash."""
    from triage.apikeys import ApiKeyError, create_key, parse_scopes
    from triage.services import open_store
    from triage.store import session_scope

    settings = _settings()
    try:
        wanted = parse_scopes(scopes)
        with session_scope(open_store(settings)) as session:
            key = create_key(session=session, name=name, scopes=wanted)
    except ApiKeyError as exc:
        _fail(str(exc))
    print(f"Created key '{name}' with scopes {','.join(wanted)}. Store it now; it is not shown again: {key}")


@apikey_app.command("revoke")
def apikey_revoke(name: Annotated[str, typer.Option(help="the key's name")]) -> None:
    """Revoke every active key with this name."""
    from triage.apikeys import revoke_key
    from triage.services import open_store
    from triage.store import session_scope

    settings = _settings()
    with session_scope(open_store(settings)) as session:
        count = revoke_key(session=session, name=name)
    if not count:
        _fail(f"no active key named '{name}'")
    out.print(f"revoked {count} key(s) named '{name}'")


@apikey_app.command("list")
def apikey_list() -> None:
    """Keys by name, scopes, creation, last use and revocation (never the keys)."""
    from triage.apikeys import list_keys
    from triage.services import open_store
    from triage.store import session_scope

    settings = _settings()
    table = Table(title="API keys")
    for column in ("name", "prefix", "scopes", "created", "last used", "revoked"):
        table.add_column(column)
    with session_scope(open_store(settings)) as session:
        for row in list_keys(session=session):
            table.add_row(row.name, row.prefix, ",".join(row.scopes), f"{row.created_at:%Y-%m-%d %H:%M}",
                          f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "-",
                          f"{row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "-")
    out.print(table)


def main() -> None:
    try:
        app()
    except TriageError as exc:  # pragma: no cover - commands catch their own
        err.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)




# --- policy ----------------------------------------------------------------------------------


@policy_app.command("check")
def policy_check(
    path: Annotated[Path | None, typer.Argument(help="a policy file (default: the configured one)")] = None,
) -> None:
    """Validate a policy file; print its hash and what it sets, or every problem (exit 1)."""
    from triage.policies.policy import load_policy

    settings = _settings()
    path = path or settings.policy_path
    try:
        policy = load_policy(path)
    except TriageError as exc:
        _fail(str(exc))
    caps = ", ".join(f"{k} {v}/day" for k, v in policy.caps.limits().items()) or "none"
    out.print(f"{path}: valid, hash {policy.hash[:12]}")
    out.print(f"kill switch {'ON' if policy.kill_switch else 'off'}; {len(policy.allowed_actions)} allowed-action "
              f"list(s); {len(policy.amount_thresholds)} amount rule(s); caps: {caps} ({policy.caps.on_exceed} "
              f"beyond); suppliers: {len(policy.suppliers.allow)} allowed, {len(policy.suppliers.deny)} denied")


@policy_app.command("schema")
def policy_schema() -> None:
    """Print the policy file's JSON Schema."""
    from triage.policies.policy import json_schema

    print(json.dumps(json_schema(), indent=2))


@policy_app.command("simulate")
def policy_simulate(
    policy: Annotated[Path | None, typer.Option("--policy", help="the policy to try (default: the configured one)")]
    = None,
    since: Annotated[str, typer.Option(help="replay decisions since: 30d, 12h, 2w or a date")] = "30d",
    examples: Annotated[int, typer.Option(min=0, help="examples shown per change")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Replay the stored cases under a policy and show how decisions would change (nothing is written)."""
    import datetime as dt

    from triage.policies.policy import load_policy
    from triage.policy_simulation import parse_since, simulate
    from triage.services import open_store
    from triage.store import session_scope

    settings = _settings()
    try:
        new = load_policy(policy or settings.policy_path)
        start = parse_since(since, dt.datetime.now(dt.UTC))
        with session_scope(open_store(settings)) as session:
            report = simulate(session, new, since=start, timezone=settings.timezone, examples=examples)
    except (TriageError, ValueError) as exc:
        _fail(str(exc))
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
        return
    out.print(f"Replayed {report.replayed} decision(s) since {start:%Y-%m-%d %H:%M} UTC under "
              f"{policy or settings.policy_path} (hash {new.hash[:12]}); {report.reviewed} of them were "
              f"reviewed by a person afterwards (compared with what the gate decided).")
    table = Table(title="Decisions by outcome")
    for column in ("outcome", "as decided", "under this policy", "change"):
        table.add_column(column, justify="right" if column != "outcome" else "left")
    for outcome in ("approve", "hold", "reject"):
        before, after = report.before[outcome], report.after[outcome]
        table.add_row(outcome, str(before), str(after), f"{after - before:+d}")
    out.print(table)
    if not report.changed:
        out.print("No decision would change.")
    for transition, count in report.transitions.most_common():
        rules = ", ".join(f"{rule} {n}" for rule, n in report.transition_rules[transition].most_common())
        out.print(f"{transition}: {count} ({rules})")
    if report.assignee_changes or report.deadline_changes:
        out.print(f"Approved either way, but assigned to someone else: {report.assignee_changes}; "
                  f"with another deadline: {report.deadline_changes}")
    rules = Table(title="Deciding rule under this policy")
    rules.add_column("rule")
    rules.add_column("decisions", justify="right")
    for rule, n in report.rules_after.most_common():
        rules.add_row(rule, str(n))
    out.print(rules)
    if report.examples:
        table = Table(title="Examples")
        for column in ("decision", "case", "type / action", "record", "as decided", "under this policy"):
            table.add_column(column)
        for c in report.examples:
            table.add_row(str(c.decision_id), str(c.case_id), f"{c.exception_type} / {c.action}", c.record or "-",
                          f"{c.before} ({c.before_rule})", f"{c.after} ({c.after_rule}): {c.detail}")
        out.print(table)


@policy_app.command("stop")
def policy_stop(reason: Annotated[str, typer.Option(help="why writes stop (shown with every held item)")]) -> None:
    """Turn the kill switch on in the store: every process stops writing to Odoo at its next flush
    and holds new proposals, until `triage policy resume`."""
    _set_kill_switch(True, reason)


@policy_app.command("resume")
def policy_resume(reason: Annotated[str, typer.Option(help="a note for the audit log")] = "") -> None:
    """Turn the store's kill switch off (a kill switch in the policy file stays until edited)."""
    _set_kill_switch(False, reason)


def _set_kill_switch(on: bool, reason: str) -> None:
    import getpass

    from triage.policies.policy import PolicyFile
    from triage.services import open_store
    from triage.store import session_scope
    from triage.switches import set_kill_switch, writes_stopped

    settings = _settings()
    try:
        with session_scope(open_store(settings)) as session:
            set_kill_switch(session, on=on, by=f"cli:{getpass.getuser()}", reason=reason)
            still = writes_stopped(session, PolicyFile(settings.policy_path))
    except TriageError as exc:
        _fail(str(exc))
    out.print(f"Kill switch {'on' if on else 'off'} in the store." + (f" Writes stay stopped: {still}."
                                                                         if still and not on else ""))


@policy_app.command("status")
def policy_status(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """The policy in force (file, hash) and whether writes are stopped, and why."""
    from triage.policies.policy import PolicyFile
    from triage.services import open_store
    from triage.store import session_scope
    from triage.switches import writes_stopped

    settings = _settings()
    try:
        source = PolicyFile(settings.policy_path)
        with session_scope(open_store(settings)) as session:
            stopped = writes_stopped(session, source)
    except TriageError as exc:
        _fail(str(exc))
    data = {"policy_file": str(source.path), "hash": source.policy.hash, "writes_stopped": stopped}
    if as_json:
        out.print_json(json.dumps(data))
        return
    out.print(f"policy {data['policy_file']} (hash {data['hash'][:12]}); "
              + (f"writes STOPPED: {stopped}" if stopped else "writes go ahead"))
