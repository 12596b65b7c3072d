"""The seed corpus: well-formed, labelled by the taxonomy, varied, and without near-duplicates."""

import re
from collections import Counter
from itertools import combinations

from training.dataset import is_eval, load_corpus
from triage.domain import CATEGORIES

FIELD_KEYS = {"po_refs", "invoice_refs", "new_date", "amounts", "tracking_numbers", "sku_refs"}
MAX_JACCARD = 0.6  # word-set overlap between any two emails


def test_every_row_is_complete_and_categories_covered():
    rows = load_corpus()
    assert len(rows) >= 440
    counts = Counter(r["category"] for r in rows)
    assert set(counts) == set(CATEGORIES) and min(counts.values()) >= 44
    for r in rows:
        assert set(r["fields"]) == FIELD_KEYS, r["id"]
        assert r["priority"] in (1, 2, 3, 4), r["id"]
        assert r["subject"].strip() and r["body"].strip(), r["id"]


def test_languages_and_hard_cases():
    rows = load_corpus()
    langs = Counter(r["lang"] for r in rows)
    assert sum(n for lang, n in langs.items() if lang != "en") / len(rows) >= 0.5
    assert all(langs[lang] >= 30 for lang in ("de", "fr", "es", "nl", "it", "pt"))
    assert sum(r["hard"] for r in rows) >= 150


def test_no_near_duplicates():
    rows = load_corpus()
    words = {r["id"]: set(re.findall(r"\w+", f"{r['subject']} {r['body']}".lower())) for r in rows}
    worst = max(((len(a & b) / len(a | b)), x, y)
                for (x, a), (y, b) in combinations(words.items(), 2))
    assert worst[0] <= MAX_JACCARD, f"{worst[1]} and {worst[2]} overlap {worst[0]:.2f}"


def test_evaluation_split_is_fixed_and_stratified_enough():
    rows = load_corpus()
    held = [r for r in rows if is_eval(r["id"])]
    assert 0.12 <= len(held) / len(rows) <= 0.28
    assert set(r["category"] for r in held) == set(CATEGORIES)
    assert is_eval("delivery_delay-001") == is_eval("delivery_delay-001")
