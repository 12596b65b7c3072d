"""Positioned words into lines and cells, and line items found without a table heading."""

from triage.ingest.document.layout import Word, lines_of, text_of
from triage.ingest.document.lines import arithmetic_items


def _line(y: float, *cells: tuple[float, str], page: int = 0, size: float = 10.0) -> list[Word]:
    """Words at height ``y``: each cell starts at its x, words 6 pt per character apart by a space."""
    words = []
    for x, text in cells:
        for part in text.split(" "):
            words.append(Word(part, x, x + 5 * len(part), y, y + size, size, page=page))
            x += 5 * len(part) + 3  # a space is narrower than a column gap
    return words


def test_words_become_lines_and_cells_in_reading_order():
    words = _line(100, (300, "Invoice No."), (400, "RE-1")) + _line(50, (40, "ACME GmbH")) + _line(100.5, (40, "Bill to"))
    lines = lines_of(words)
    assert [line.text for line in lines] == ["ACME GmbH", "Bill to  Invoice No.  RE-1"]
    assert [cell.text for cell in lines[1].cells] == ["Bill to", "Invoice No.", "RE-1"]
    start = lines[1].text.index("RE-1")
    assert lines[1].span(start, start + 4) == (400, 420)
    assert text_of(lines + lines_of(_line(10, (40, "Page 2"), page=1))).endswith("\n\nPage 2")


def test_rows_without_a_heading_are_found_by_their_arithmetic():
    words = (_line(100, (40, "1"), (60, "BRG-6204"), (130, "Deep groove bearing 6204"), (330, "10"), (360, "pcs"),
                   (420, "4.20"), (500, "42.00"))
             + _line(112, (130, "sealed both sides"))
             + _line(124, (40, "2"), (60, "HOSE-12"), (130, "Hydraulic hose 1/2 in"), (330, "3"), (420, "12.50"),
                     (500, "37.50"))
             + _line(150, (330, "Subtotal"), (500, "79.50"))
             + _line(170, (40, "Call us on 0711 555 12 34"), (330, "Page 1 of 1")))
    items = arithmetic_items(lines_of(words), ".", None)
    assert [item.as_dict() for item in items] == [
        {"sku": "BRG-6204", "description": "Deep groove bearing 6204 sealed both sides", "quantity": 10.0,
         "unit": "pcs", "unit_price": 4.2, "subtotal": 42.0},
        {"sku": "HOSE-12", "description": "Hydraulic hose 1/2 in", "quantity": 3.0, "unit": None, "unit_price": 12.5,
         "subtotal": 37.5},
    ]
