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


def test_outlook_headers_in_dutch_are_found_by_the_library():
    body = ("Wij leveren het restant op 20 november.\n\nVan: Inkoop <i@x.example>\nVerzonden: dinsdag 3 november 2026 "
            "10:12\nAan: Verkoop <v@x.example>\nOnderwerp: P00123\n\nGraag de leverdatum bevestigen.")
    parts = split_reply(body)
    assert parts.newest == "Wij leveren het restant op 20 november."
    assert "Graag de leverdatum" in parts.quoted


def test_hyphen_lists_stay_in_the_message():
    body = "Status of P00123:\n- 200 pcs shipped today\n- 300 pcs follow in week 49\n\nKind regards\nAnna"
    assert split_reply(body).newest == "Status of P00123:\n- 200 pcs shipped today\n- 300 pcs follow in week 49"


def test_a_short_forward_is_read_by_the_forwarded_message():
    body = ("FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Supplier <s@x.example>\n"
            "Date: Tue, 3 Nov 2026\nSubject: P00123\nTo: buyer@y.example\n\nYour order P00123 is delayed to 4 December.")
    parts = split_reply(body)
    assert parts.forwarded
    assert parts.newest == "Your order P00123 is delayed to 4 December."


def test_disclaimers_and_sign_offs_in_other_languages_are_separated():
    body = ("La livraison de P00123 est reportée au 4 décembre.\n\nCordialement\nMarie\n\n"
            "Ce message et ses pièces jointes sont confidentiels.")
    parts = split_reply(body)
    assert parts.newest == "La livraison de P00123 est reportée au 4 décembre."
    assert "confidentiels" in parts.signature


def test_a_fixed_width_table_keeps_its_layout():
    body = "Item  Material      Qty\n0010  FS-M10X40    5,000\n\nOn Mon, Bob wrote:\n> hi"
    assert split_reply(body).newest == "Item  Material      Qty\n0010  FS-M10X40    5,000"


def test_a_huge_line_after_a_reply_opener_is_split_in_bounded_time():
    """One 200 KB line starting with "On " kept the reply library busy for about 25 minutes
    (its header search is quadratic in a line's length); a liveness bound, not a speed target."""
    import time

    started = time.monotonic()
    parts = split_reply("The order is late.\n\nOn " + "x" * 200_000 + "\n> the old message")
    assert time.monotonic() - started < 10
    assert parts.newest.startswith("The order is late.") and "the old message" in parts.quoted
