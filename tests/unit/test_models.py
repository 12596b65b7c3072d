import numpy as np
import pandas as pd

from triage.models.bundle import ModelBundle
from triage.models.classifier import EmbeddingFeatures, TextColumn, build_classifier
from triage.models.embeddings import embed, packaged_model_path
from triage.models.text import model_text


def test_packaged_model_embeds_offline_with_unit_vectors():
    assert (packaged_model_path() / "model.safetensors").is_file()
    vectors = embed(["new delivery date next week", "Lieferverzug"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_text_column_accepts_what_mlflow_sends():
    frame = pd.DataFrame({"text": ["a", None]})
    assert TextColumn().transform(frame) == ["a", ""]
    assert TextColumn().transform(["x"]) == ["x"]
    assert EmbeddingFeatures().transform(["x", "x"]).shape == (2, 384)


def test_model_text_drops_quoted_history_and_signature():
    text = model_text("Re: P00412", "We ship Friday.\n\nBest regards\nAnna\n\nOn Mon, Bob wrote:\n> when?")
    assert text == "Re: P00412\nWe ship Friday."


def test_bundle_predicts_normalised_scores():
    texts = ["parcel shipped, tracking 1Z999", "dispatched today with UPS", "price increase of 5% from January",
             "new price list, prices rise", "goods shipped, AWB 123", "surcharge on copper from March"]
    labels = ["shipping_notice", "shipping_notice", "price_change", "price_change", "shipping_notice", "price_change"]
    pipeline = build_classifier()
    pipeline.set_params(features__chars__min_df=1)
    pipeline.fit(texts, labels)
    bundle = ModelBundle(name="t", version="0", pipeline=pipeline)
    [prediction] = bundle.predict(["our prices increase by 8% from 1 April"])
    assert prediction.category == "price_change"
    assert abs(sum(prediction.scores.values()) - 1) < 1e-6 and prediction.confidence == max(prediction.scores.values())
    assert bundle.predict([]) == []
