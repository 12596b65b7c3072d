"""Positioned words grouped into lines and cells: the page as the extractor sees it.

Plain data built from any text layer (``ingest/pdf.py`` fills it from pdfplumber). A line is
the words that share a baseline band; a cell is a run of words on a line separated from the
next by a gap wider than a space (a column). A line's text joins words by one space and
cells by two, and every character offset maps back to its word, so a label found in the text
has an x-span to look under.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

# A gap between words wider than this many font sizes separates cells (a normal space is
# about a quarter to a third of the size).
CELL_GAP = 0.8


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float = 10.0
    bold: bool = False
    page: int = 0


@dataclass
class Cell:
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1


@dataclass
class Line:
    words: list[Word]
    index: int = 0  # position in the document's reading order
    cells: list[Cell] = field(default_factory=list)
    text: str = ""
    _owner: list[int] = field(default_factory=list, repr=False)  # text offset -> word index
    cell_starts: list[int] = field(default_factory=list)  # each cell's offset in ``text``

    def __post_init__(self) -> None:
        self.words.sort(key=lambda w: w.x0)
        current: list[Word] = []
        for word in self.words:
            if current and word.x0 - current[-1].x1 > CELL_GAP * max(word.size, current[-1].size, 1.0):
                self.cells.append(Cell(current))
                current = []
            current.append(word)
        if current:
            self.cells.append(Cell(current))
        self.text, self._owner = _join(self.cells)
        position = 0
        for cell in self.cells:
            self.cell_starts.append(position)
            position += len(cell.text) + 2

    @property
    def page(self) -> int:
        return self.words[0].page

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)

    @property
    def size(self) -> float:
        return max(w.size for w in self.words)

    def span(self, start: int, end: int) -> tuple[float, float]:
        """The x-extent of the words under text offsets ``start:end``."""
        owners = [self._owner[i] for i in range(max(start, 0), min(end, len(self._owner))) if self._owner[i] >= 0]
        if not owners:
            return (0.0, 0.0)
        return self.words[min(owners)].x0, self.words[max(owners)].x1

    def cell_at(self, offset: int) -> int:
        """The index of the cell holding the text offset (the cell before a column gap)."""
        return max(bisect.bisect_right(self.cell_starts, offset) - 1, 0)


def _join(cells: list[Cell]) -> tuple[str, list[int]]:
    text: list[str] = []
    owner: list[int] = []
    index = 0
    for c, cell in enumerate(cells):
        if c:
            text.append("  ")
            owner.extend([-1, -1])
        for w, word in enumerate(cell.words):
            if w:
                text.append(" ")
                owner.append(-1)
            text.append(word.text)
            owner.extend([index] * len(word.text))
            index += 1
    return "".join(text), owner


def lines_of(words: list[Word]) -> list[Line]:
    """Words grouped into lines, in reading order (page, then top to bottom, then left to right).

    A word joins the line whose vertical band its middle falls in; a word in a larger font on
    the same baseline (a letterhead beside a title) still joins it."""
    lines: list[Line] = []
    for page in sorted({w.page for w in words}):
        bands: list[list[Word]] = []
        for word in sorted((w for w in words if w.page == page), key=lambda w: (w.top, w.x0)):
            middle = (word.top + word.bottom) / 2
            for band in reversed(bands[-3:]):
                top, bottom = min(w.top for w in band), max(w.bottom for w in band)
                if top <= middle <= bottom and not _overlaps_horizontally(word, band):
                    band.append(word)
                    break
            else:
                bands.append([word])
        bands.sort(key=lambda band: min(w.top for w in band))
        lines.extend(Line(band) for band in bands)
    for i, line in enumerate(lines):
        line.index = i
    return lines


def _overlaps_horizontally(word: Word, band: list[Word]) -> bool:
    return any(word.x0 < w.x1 - 0.5 and w.x0 < word.x1 - 0.5 for w in band)


def text_of(lines: list[Line]) -> str:
    """The document's text, a line per line and a blank line between pages."""
    out: list[str] = []
    page = lines[0].page if lines else 0
    for line in lines:
        if line.page != page:
            out.append("")
            page = line.page
        out.append(line.text)
    return "\n".join(out)
