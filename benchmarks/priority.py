"""Priority rubric against the labelled priorities of the corpus: exact and within-one accuracy.

    python -m benchmarks.priority

Uses the labelled category (so this measures the rubric, not the classifier), the extracted
fields and the newest message, exactly as the pipeline does. The baseline is the rubric's
per-category starting priority alone, measured in the same run.
"""

from __future__ import annotations

from collections import Counter

from training.dataset import load_corpus
from triage.classify import email_fields
from triage.ingest.mime import parse_date
from triage.ingest.reply import split_reply
from triage.models.priority import BASE, prioritise


def score(rows: list[dict]) -> dict:
    """Exact and within-one accuracy of the rubric and of the category base, and the confusion counts."""
    exact = within = base_exact = base_within = 0
    confusion: Counter = Counter()
    for row in rows:
        sent_at = parse_date(row["date"])
        sent = sent_at.date() if sent_at else None
        fields = email_fields(row["subject"], row["body"], sent_at, row["category"])
        got = prioritise(row["category"], f"{row['subject']}\n{split_reply(row['body']).newest}", fields, sent).priority
        want, base = row["priority"], BASE[row["category"]]
        exact += got == want
        within += abs(got - want) <= 1
        base_exact += base == want
        base_within += abs(base - want) <= 1
        confusion[(want, got)] += 1
    n = len(rows)
    return {"n": n, "exact": exact / n, "within_one": within / n, "base_exact": base_exact / n,
            "base_within_one": base_within / n, "confusion": confusion}


def main() -> None:
    m = score(load_corpus())
    print(f"{m['n']} labelled emails")
    print(f"rubric:           exact {m['exact']:.3f}  within one {m['within_one']:.3f}")
    print(f"category base:    exact {m['base_exact']:.3f}  within one {m['base_within_one']:.3f}")
    print(f"ratio (exact):    {m['exact'] / max(m['base_exact'], 1e-9):.2f}x")
    print("labelled -> predicted counts:")
    for want in (1, 2, 3, 4):
        print(f"  P{want}: " + "  ".join(f"P{got}={m['confusion'][(want, got)]}" for got in (1, 2, 3, 4)))


if __name__ == "__main__":
    main()
