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


@pytest.mark.xfail(strict=True, reason="known weakness of the 880-email model: the third corpus round's "
                   "confirmations that mention dates pull 'cannot deliver as confirmed' back to order_confirmation "
                   "(the 440-email model got it right); strict, so the day it passes again this mark must go")
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


def test_a_greeting_does_not_change_the_category(model):
    plain = _predict(model, *DELAY)
    greeted = _predict(model, DELAY[0], "Dear Sir or Madam,\n\nI hope this email finds you well.\n\n" + DELAY[1])
    assert greeted.category == plain.category


# The same email written natively in German and English: the same category.
PAIRS = [
    (("Order P00871 delayed", "Due to a breakdown in our paint shop your order P00871 cannot ship this week. "
      "The new delivery date is 4 December 2026."),
     ("Bestellung P00871 verzögert", "Wegen eines Ausfalls in unserer Lackiererei kann Ihre Bestellung P00871 "
      "diese Woche nicht versendet werden. Der neue Liefertermin ist der 4. Dezember 2026.")),
    (("Price increase from 1 January", "Due to higher energy costs we will raise all list prices by 7% from "
      "1 January 2027. The new price list is attached."),
     ("Preiserhöhung zum 1. Januar", "Aufgrund gestiegener Energiekosten erhöhen wir alle Listenpreise zum "
      "1. Januar 2027 um 7 %. Die neue Preisliste finden Sie im Anhang.")),
    (("Reminder: overdue invoice", "Our invoice RE-2026-4471 of EUR 3,480.00 was due on 30 October and is still "
      "unpaid. Please arrange payment within seven days."),
     ("Zahlungserinnerung", "Unsere Rechnung RE-2026-4471 über EUR 3.480,00 war am 30. Oktober fällig und ist "
      "noch offen. Bitte überweisen Sie den Betrag innerhalb von sieben Tagen.")),
]


@pytest.mark.parametrize("english, german", PAIRS, ids=["delay", "price", "payment"])
def test_the_same_email_in_german_and_english_gets_the_same_category(model, english, german):
    assert _predict(model, *english).category == _predict(model, *german).category


def test_a_prediction_is_explained(model):
    prediction = _predict(model, *DELAY)
    explanation = prediction.explanation
    text = model_text(*DELAY).lower()
    assert explanation.terms and all(term in text for term in explanation.terms)
    assert explanation.nearest and all(n.category == prediction.category for n in explanation.nearest)
    assert all(-1 <= n.similarity <= 1 for n in explanation.nearest)
    assert "-" in explanation.nearest[0].id  # a corpus id such as delivery_delay-e214
    assert prediction.low_confidence == (prediction.confidence < model.low_confidence)
