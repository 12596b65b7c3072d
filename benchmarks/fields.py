"""Field extraction measured against the labelled corpus: per-field precision, recall, exact match,
on all emails and on the golden ones (every field filled).

    python -m benchmarks.fields [--show-errors FIELD]

Fields are extracted from subject + body (quoted history included) with the email's date
and its labelled category, exactly as the pipeline does, and compared with the labels.
"""

from __future__ import annotations

import argparse
import json

from training.dataset import load_corpus
from triage.classify import email_fields
from triage.ingest.mime import parse_date

LIST_FIELDS = ("po_refs", "invoice_refs", "tracking_numbers", "sku_refs")


def _set(field: str, values) -> set:
    if field == "amounts":
        return {(round(float(a["value"]), 2), a["currency"]) for a in values}
    return set(values)


def score(rows: list[dict]) -> tuple[dict, dict]:
    totals = {f: {"tp": 0, "fp": 0, "fn": 0, "exact": 0} for f in (*LIST_FIELDS, "amounts", "new_date")}
    errors: dict[str, list] = {f: [] for f in totals}
    for row in rows:
        got = email_fields(row["subject"], row["body"], parse_date(row["date"]), row["category"]).as_dict()
        for field in totals:
            want_v, got_v = row["fields"][field], got[field]
            if field == "new_date":
                want, have = ({want_v} if want_v else set()), ({got_v} if got_v else set())
            else:
                want, have = _set(field, want_v), _set(field, got_v)
            t = totals[field]
            t["tp"] += len(want & have)
            t["fp"] += len(have - want)
            t["fn"] += len(want - have)
            t["exact"] += want == have
            if want != have:
                errors[field].append({"id": row["id"], "missing": sorted(map(str, want - have)),
                                      "extra": sorted(map(str, have - want))})
    report = {}
    for field, t in totals.items():
        p = t["tp"] / (t["tp"] + t["fp"]) if t["tp"] + t["fp"] else 1.0
        r = t["tp"] / (t["tp"] + t["fn"]) if t["tp"] + t["fn"] else 1.0
        report[field] = {"precision": round(p, 3), "recall": round(r, 3),
                         "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
                         "exact_match": round(t["exact"] / len(rows), 3)}
    return report, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show-errors", metavar="FIELD", help="list the emails where FIELD differs")
    args = parser.parse_args()
    rows = load_corpus()
    golden = [r for r in rows if r.get("golden")]
    for title, subset in ((f"all {len(rows)} labelled emails", rows),
                          (f"the {len(golden)} golden emails (every field filled)", golden)):
        report, errors = score(subset)
        print(title)
        print(f"{'field':18} {'precision':>9} {'recall':>7} {'f1':>6} {'exact':>6}")
        for field, m in report.items():
            print(f"{field:18} {m['precision']:9.3f} {m['recall']:7.3f} {m['f1']:6.3f} {m['exact_match']:6.3f}")
        print()
    report, errors = score(rows)
    if args.show_errors:
        for e in errors[args.show_errors]:
            print(json.dumps(e, ensure_ascii=False))


if __name__ == "__main__":
    main()
