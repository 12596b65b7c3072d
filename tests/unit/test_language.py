import pytest

from triage.ingest.language import UNKNOWN, detect_language


@pytest.mark.parametrize("language, text", [
    ("en", "Unfortunately the delivery of your order will be two weeks late."),
    ("de", "Leider verzögert sich die Lieferung Ihrer Bestellung um zwei Wochen."),
    ("fr", "Malheureusement la livraison de votre commande aura deux semaines de retard."),
    ("es", "Lamentablemente la entrega de su pedido se retrasará dos semanas."),
    ("nl", "Helaas wordt de levering van uw bestelling twee weken later."),
    ("it", "Purtroppo la consegna del vostro ordine subirà un ritardo di due settimane."),
    ("pt", "Infelizmente a entrega da sua encomenda vai atrasar duas semanas."),
])
def test_the_seven_corpus_languages(language, text):
    detected, probability = detect_language(text)
    assert detected == language and probability >= 0.5


def test_no_words_is_undetermined():
    assert detect_language("P00412 1234567890 24.11.2026")[0] == UNKNOWN
    assert detect_language("") == (UNKNOWN, 0.0)
