"""Fine-tuning the encoder: a tuned copy named by its weights, its embeddings moved by the labels."""

import numpy as np
import pytest

from triage.errors import ModelError
from triage.models.embeddings import FINETUNED_PREFIX, embed, resolve_path
from triage.models.finetune import fine_tune

pytestmark = pytest.mark.slow

TEXTS = [
    "Your order P00412 will be delayed until 3 May", "Delivery postponed by two weeks, new ETA 20 June",
    "Lieferung verschiebt sich um drei Wochen", "La livraison est retardée au 12 mai",
    "Invoice 8812 shows the wrong unit price", "Credit note for the overcharge on invoice 7781",
    "Rechnung 4471: Menge falsch berechnet", "Facture 2231 en double, merci de l'annuler",
]
LABELS = ["delivery_delay"] * 4 + ["invoice_discrepancy"] * 4


def test_fine_tuning_saves_a_tuned_encoder_the_classifier_can_name(monkeypatch, tmp_path):
    monkeypatch.setenv("TRIAGE_MODEL_ENCODER_CACHE", str(tmp_path))
    path, directory = fine_tune(TEXTS, LABELS, epochs=3, max_tokens=32, batch_size=4, learning_rate=1e-4, say=None)
    assert path.startswith(FINETUNED_PREFIX) and directory.parent == tmp_path
    assert resolve_path(path) == directory and any(directory.glob("*.safetensors"))

    def separation(model_path):
        vectors = embed(TEXTS, model_path)
        same = (vectors[:4] @ vectors[:4].T).mean() + (vectors[4:] @ vectors[4:].T).mean()
        return same / 2 - (vectors[:4] @ vectors[4:].T).mean()

    # the tuned encoder pulls each category together and the two apart
    assert separation(path) > separation(None) + 0.05
    assert not np.allclose(embed(TEXTS[:1], path), embed(TEXTS[:1], None), atol=1e-3)


def test_an_unknown_fine_tuned_encoder_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("TRIAGE_MODEL_ENCODER_CACHE", str(tmp_path))
    with pytest.raises(ModelError, match="fetches it from the training run"):
        resolve_path(f"{FINETUNED_PREFIX}0123456789abcdef")


def test_fine_tuning_refuses_mismatched_input():
    with pytest.raises(ValueError):
        fine_tune(TEXTS, LABELS[:3], epochs=1, say=None)
