"""Which language an email is written in: py3langid's naive-Bayes model (97 languages, shipped
inside the package, nothing downloaded), read on the newest message.

Returns an ISO 639-1 code and a probability; short or mixed texts come back with a low
probability rather than a guess presented as fact (``UNKNOWN`` below ``MIN_PROBABILITY``).
"""

from __future__ import annotations

from functools import lru_cache

UNKNOWN = "und"  # ISO 639-2 "undetermined"
MIN_PROBABILITY = 0.5
_CHARS = 1000  # the first thousand characters decide; more costs time and changes nothing here


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_DIR / MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str, float]:
    """(language code, probability) of ``text``; ``("und", p)`` when it cannot tell."""
    sample = text.strip()[:_CHARS]
    if len(sample) < 3 or not any(ch.isalpha() for ch in sample):
        return UNKNOWN, 0.0
    language, probability = _identifier().classify(sample)  # stateless: safe across threads
    probability = float(probability)
    return (str(language) if probability >= MIN_PROBABILITY else UNKNOWN), round(probability, 3)
