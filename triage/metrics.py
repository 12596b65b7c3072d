"""Prometheus metrics.

Counts come from the store at scrape time (``StoreCollector``), so they are right however
many API processes and workers share the store. Latencies and job heartbeats are measured
in the process that does the work and exported from its own registry.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

from triage.store import session_scope
from triage.store.tables import AssessmentRow, CaseRow, DecisionRow, OutboxRow, SignalRow, SourceCheckpointRow

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    """The process's own metrics, in a registry of its own (tests build as many as they like)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.model_latency = Histogram("triage_model_latency_seconds", "Classifier latency per batch",
                                       registry=self.registry, buckets=LATENCY_BUCKETS)
        self.request_latency = Histogram("triage_http_request_seconds", "HTTP request latency",
                                         ["method", "route", "status"], registry=self.registry,
                                         buckets=LATENCY_BUCKETS)
        self.odoo_latency = Histogram("triage_odoo_call_seconds", "Odoo JSON-RPC call latency", ["method"],
                                      registry=self.registry, buckets=LATENCY_BUCKETS)
        self.odoo_errors = Gauge("triage_odoo_call_errors", "Odoo call errors since start", ["kind"],
                                 registry=self.registry)
        self.job_last_success = Gauge("triage_job_last_success_timestamp_seconds",
                                      "Unix time of each job's last successful run", ["job"], registry=self.registry)
        self.job_failures = Gauge("triage_job_failures", "Failed runs of each job since start", ["job"],
                                  registry=self.registry)

    def watch_store(self, engine: Engine) -> None:
        self.registry.register(StoreCollector(engine))


class StoreCollector(Collector):
    """Counts read from the store when Prometheus scrapes."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def _family(self, session, name: str, doc: str, labels: list[str], *columns, where=None) -> GaugeMetricFamily:
        family = GaugeMetricFamily(name, doc, labels=labels)
        query = select(*columns, func.count()).group_by(*columns)
        if where is not None:
            query = query.where(where)
        for *values, count in session.execute(query).all():
            family.add_metric([str(v) for v in values], count)
        return family

    def collect(self):
        with session_scope(self.engine) as s:
            yield self._family(s, "triage_signals", "Stored signals", ["source", "state"],
                               SignalRow.source, SignalRow.state)
            yield self._family(s, "triage_quarantined_signals", "Quarantined signals by reason", ["reason"],
                               SignalRow.quarantine_reason, where=SignalRow.state == "quarantined")
            yield self._family(s, "triage_cases", "Cases by category", ["category", "state"],
                               CaseRow.category, CaseRow.state)
            yield self._family(s, "triage_assessments", "Assessments by category and priority",
                               ["category", "priority"], AssessmentRow.category, AssessmentRow.priority)
            yield self._family(s, "triage_decisions", "Decisions by outcome and deciding rule", ["outcome", "rule"],
                               DecisionRow.outcome, DecisionRow.rule)
            yield self._family(s, "triage_outbox", "Outbox items by state", ["state"], OutboxRow.state)
            yield from _mailboxes(s)


def _mailboxes(session):
    """Per polled folder: the last successful poll (a poller that silently stops shows here) and
    the messages it saw, stored, found already stored, quarantined, and the PDFs it found attached."""
    last = GaugeMetricFamily("triage_mailbox_last_success_timestamp_seconds",
                             "Unix time of each mailbox folder's last successful poll", labels=["mailbox"])
    messages = GaugeMetricFamily("triage_mailbox_messages", "Messages per mailbox folder since it was first polled",
                                 labels=["mailbox", "outcome"])
    for row in session.scalars(select(SourceCheckpointRow).where(SourceCheckpointRow.source == "imap")):
        if row.last_success is not None:  # aware UTC (the store's UTCDateTime)
            last.add_metric([row.name], row.last_success.timestamp())
        for outcome, count in sorted((row.cursor or {}).items()):
            messages.add_metric([row.name, outcome], count)
    yield last
    yield messages
