"""The seed corpus: well-formed, labelled by the taxonomy, varied, without near-duplicates,
with a fixed stratified evaluation split and a golden set for per-field scoring."""

from collections import Counter

from training.corpus_check import MAX_JACCARD, closest_pairs, problems
from training.dataset import SPLIT_FILE, assign, eval_ids, load_corpus, split
from triage.domain import CATEGORIES

LANGUAGES = ("de", "fr", "es", "nl", "it", "pt")


def test_every_row_passes_the_corpus_check():
    rows = load_corpus()
    assert len(rows) >= 800
    bad = {r["id"]: problems(r) for r in rows if problems(r)}
    assert not bad, bad


def test_categories_languages_hard_cases_and_golden_emails():
    rows = load_corpus()
    counts = Counter(r["category"] for r in rows)
    assert set(counts) == set(CATEGORIES) and min(counts.values()) >= 60
    langs = Counter(r["lang"] for r in rows)
    assert sum(n for lang, n in langs.items() if lang != "en") / len(rows) >= 0.3
    assert all(langs[lang] >= 40 for lang in LANGUAGES), langs
    assert sum(r["hard"] for r in rows) >= 150
    golden = [r for r in rows if r.get("golden")]
    assert len(golden) >= 100
    assert all(all(r["fields"][k] for k in r["fields"]) for r in golden)


def test_no_near_duplicates():
    (jaccard, _, first, second), = closest_pairs(load_corpus(), top=1)
    assert jaccard <= MAX_JACCARD, f"{first} and {second} share {jaccard:.2f} of their words"


def test_evaluation_split_is_frozen_stratified_and_unseen_by_training():
    rows = load_corpus()
    held = eval_ids()
    ids = {r["id"] for r in rows}
    assert held <= ids, f"{SPLIT_FILE.name} names emails that are not in the corpus: {sorted(held - ids)[:5]}"
    for category in CATEGORIES:
        members = [r for r in rows if r["category"] == category]
        share = sum(r["id"] in held for r in members) / len(members)
        assert 0.15 <= share <= 0.25, (category, share)
    for lang in ("en", *LANGUAGES):
        assert any(r["id"] in held for r in rows if r["lang"] == lang), lang
    train, evaluation = split(rows)
    assert not {e.id for e in train} & {e.id for e in evaluation}
    assert len(train) + len(evaluation) == len(rows)


def test_placing_new_emails_never_moves_old_ones():
    rows = load_corpus()
    held = eval_ids()
    placed = frozenset(r["id"] for r in rows)
    new = [dict(r, id=f"{r['id']}-new") for r in rows[:50]]
    after = assign(rows + new, held, placed)
    assert after & placed == held  # old emails keep their side
    assert 5 <= len(after - held) <= 15  # about one in five of the new ones
