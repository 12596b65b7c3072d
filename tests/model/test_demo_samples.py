"""The bundled demo samples against their expected labels (triage/demo/samples/expected.json)."""

import json

import pytest

from tests.conftest import SAMPLES
from triage.ingest.extract import po_refs
from triage.ingest.files import read_file
from triage.models.text import model_text
from triage.services import load_model

pytestmark = pytest.mark.slow
EXPECTED = json.loads((SAMPLES / "expected.json").read_text())
EMAILS = sorted(name for name in EXPECTED if name.endswith(".eml"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_po_refs_of_every_sample(name, settings):
    signal = read_file(SAMPLES / name, settings.limits).signal
    assert po_refs(f"{signal.subject}\n{signal.text}") == EXPECTED[name]["po_refs"]


def test_categories_of_the_sample_emails(trained):
    settings, _ = trained
    model = load_model(settings)
    signals = [read_file(SAMPLES / name, settings.limits).signal for name in EMAILS]
    predictions = model.predict([model_text(s.subject, s.text) for s in signals])
    wrong = {name: p.category for name, p in zip(EMAILS, predictions, strict=True)
             if p.category != EXPECTED[name]["category"]}
    assert len(wrong) <= 2, f"misclassified samples: {wrong}"
