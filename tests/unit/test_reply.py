import pytest

from triage.ingest.reply import split_reply


@pytest.mark.parametrize("marker", [
    "On Tue, 3 Nov 2026 at 10:12, Buyer <buyer@x.example> wrote:",
    "Am 03.11.2026 um 10:12 schrieb Einkauf <einkauf@x.example>:",
    "Le 3 nov. 2026 à 10:12, Acheteur <a@x.example> a écrit :",
    "El 3 nov 2026, a las 10:12, Compras <c@x.example> escribió:",
    "Op 3 nov. 2026 om 10:12 schreef Inkoop <i@x.example>:",
    "Il giorno 3 nov 2026, alle ore 10:12, Acquisti <a@x.example> ha scritto:",
    "Em 3 de nov. de 2026, às 10:12, Compras <c@x.example> escreveu:",
    "-----Original Message-----",
    "From: Buyer <buyer@x.example>\nSent: Tuesday, November 3, 2026 10:12",
])
def test_quoted_history_is_separated(marker):
    body = f"We can ship the rest on 20 Nov.\n\n{marker}\nPlease confirm the delivery date of P00123.\n"
    parts = split_reply(body)
    assert parts.newest == "We can ship the rest on 20 Nov."
    assert "Please confirm" in parts.quoted


def test_angle_quotes_and_signature_are_removed():
    body = "Goods left today, tracking 1Z999.\n\nBest regards\nAnna\nACME GmbH\n\n> when will it ship?\n"
    parts = split_reply(body)
    assert parts.newest == "Goods left today, tracking 1Z999."
    assert "Anna" in parts.signature
    assert "when will it ship" in parts.quoted


def test_a_message_that_is_only_a_greeting_is_kept():
    assert split_reply("Thanks, received.").newest == "Thanks, received."
