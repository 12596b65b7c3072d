"""Behaviour of the trained champion: invariance and direction, not just a score."""

import pytest

from triage.models.text import model_text
from triage.services import load_model

pytestmark = pytest.mark.slow

DELAY = ("P00412 delivery", "Unfortunately we cannot deliver your order P00412 as confirmed: our supplier of "
         "raw material is late. The goods will now be delayed until 15 December 2026.")


@pytest.fixture(scope="module")
def model(trained):
    settings, _ = trained
    return load_model(settings)


def _predict(model, subject, body):
    return model.predict([model_text(subject, body)])[0]


def test_signature_and_quoted_history_do_not_change_the_category(model):
    plain = _predict(model, *DELAY)
    signed = _predict(model, DELAY[0], DELAY[1] + "\n\nBest regards\nJan Kowalski\nSales, ACME Sp. z o.o.\n"
                      "\n-----Original Message-----\nPlease send the invoice and confirm the price.")
    assert signed.category == plain.category
    assert signed.scores == plain.scores


def test_adding_a_delay_moves_towards_delivery_delay(model):
    base = _predict(model, "Order P00412", "Thank you for your order P00412. We confirm the items and quantities.")
    moved = _predict(model, "Order P00412", "Thank you for your order P00412. We confirm the items and quantities, "
                     "but delivery is delayed until 15 December 2026 because of a production problem.")
    assert moved.scores["delivery_delay"] > base.scores["delivery_delay"]


def test_a_delay_that_says_as_confirmed(model):
    """The 260-email model read this as order_confirmation; the late-confirmation examples fixed it."""
    assert _predict(model, *DELAY).category == "delivery_delay"


def test_clear_cases_in_several_languages(model):
    assert _predict(model, "Delivery delay", "Unfortunately the goods for your order will arrive three weeks late. "
                    "New delivery date: 15 December 2026.").category == "delivery_delay"
    assert _predict(model, "Lieferverzug P00412", "Leider verzögert sich die Lieferung Ihrer Bestellung P00412 um drei "
                    "Wochen. Neuer Liefertermin: 15.12.2026.").category == "delivery_delay"
    recall = _predict(model, "Safety recall", "We recall batch 2611-04 of the lifting slings delivered on P00422: "
                      "the labels state the wrong working load limit. Please quarantine the stock immediately.")
    assert recall.category == "quality_issue"
