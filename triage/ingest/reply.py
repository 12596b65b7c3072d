"""The newest message of a reply chain, separated from quoted history, signature and disclaimer.

Reply headers are found by ``mail-parser-reply`` (RAUSYS; Apple-, Gmail- and Outlook-style
headers in English, German, French, Spanish, Italian, Dutch and eight more languages), with
hyphen lists kept as text. What it lacks is added here: Portuguese headers ("Em ... escreveu:",
"De: / Enviado:"), forwarded-message markers, ``>`` quoting without a header, and the sign-offs
and legal disclaimers of all seven corpus languages. A forwarded email whose own note is only a
line or two ("FYI") is read by the forwarded message: that is what the supplier wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailparser_reply.parser import EmailMessage

_LIBRARY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "da", "sv", "pl", "cs"]

_FORWARD = re.compile(  # [^\S\n]: a blank run of lines is not scanned again from each of its lines
    r"^[^\S\n]*-{2,}\s*(forwarded message|weitergeleitete nachricht|message transf[ée]r[ée]|mensaje reenviado"
    r"|doorgestuurd bericht|messaggio inoltrato|mensagem encaminhada)\s*-{2,}\s*$"
    r"|^[^\S\n]*(begin forwarded message|anfang der weitergeleiteten nachricht|d[ée]but du message r[ée]exp[ée]di[ée])\s*:",
    re.I | re.M,
)
_REPLY_MARKERS = [
    r"^-{2,}\s*(original message|urspr[üu]ngliche nachricht|message d'origine|mensaje original"
    r"|oorspronkelijk bericht|messaggio originale|mensagem original)\s*-{2,}",
    r"^_{5,}\s*$",
    r"^on\b.{0,200}\bwrote:\s*$",
    r"^am\b.{0,200}\bschrieb.{0,80}:\s*$",
    r"^le\b.{0,200}\ba [ée]crit\s*:\s*$",
    r"^el\b.{0,200}\bescribi[óo]\s*:\s*$",
    r"^op\b.{0,200}\bschreef.{0,80}:\s*$",
    r"^il\b.{0,200}\bha scritto\s*:\s*$",
    r"^em\b.{0,200}\bescreveu\s*:\s*$",
    r"^(from|von|de|van|da)\s*:\s.+$(?=\n\s*(sent|gesendet|envoy[ée]|enviado|verzonden|inviato|date|datum|data)\s*:)",
]
_REPLY = re.compile("|".join(f"(?:{m})" for m in _REPLY_MARKERS), re.I | re.M)
_HEADER_LINE = re.compile(
    r"^\s*(from|to|cc|sent|date|subject|von|an|gesendet|datum|betreff|de|à|a|envoy[ée]|objet|para|enviado"
    r"|asunto|assunto|fecha|data|van|aan|verzonden|onderwerp|da|inviato|oggetto)\s*:.*$",
    re.I,
)

_SIGNATURE = re.compile(
    r"^(-- ?$|(best|kind|warm|many)? ?regards\b|mit freundlichen gr[üu](ß|ss)en|freundliche gr[üu](ß|ss)e"
    r"|viele gr[üu](ß|ss)e|beste gr[üu](ß|ss)e|cordialement|bien cordialement|salutations|saludos|atentamente"
    r"|un saludo|met vriendelijke groet|vriendelijke groet|hartelijke groet|cordiali saluti|distinti saluti"
    r"|saluti|atenciosamente|cumprimentos|com os melhores cumprimentos|sincerely|yours (faithfully|sincerely)"
    r"|cheers,?$|thanks,?$|thank you,?$|sent from my |gesendet von meinem |envoy[ée] de mon )",
    re.I | re.M,
)
_DISCLAIMER = re.compile(
    r"^(this (e-?mail|message) (and any (attachments|files)[^\n]*)?(is|are|may be|contains?) (confidential|intended)"
    r"|confidentiality notice|disclaimer:|registered office|registered in england"
    r"|diese e-?mail (enth[äa]lt|kann|ist) |gesch[äa]ftsf[üu]hrer(in)?:|amtsgericht|sitz der gesellschaft"
    r"|ce (message|courriel|mail) (et ses pi[èe]ces jointes )?(est|peut|contient)"
    r"|este (mensaje|correo)( electr[óo]nico)? (y sus anexos )?(es|puede|contiene) |aviso legal"
    r"|dit (e-?mail)?bericht is (uitsluitend|vertrouwelijk)|questo messaggio (e i suoi allegati )?(è|e'|può|contiene)"
    r"|esta mensagem (e os seus anexos )?(é|pode|cont[ée]m) )",
    re.I | re.M,
)
_LONG_LINE = 1000  # characters of a line the reply-header search looks at
_SHORT_NOTE_WORDS = 12  # a forwarder's note this short means the forwarded message is the content


class _Replies(EmailMessage):
    """The library's reader without its search for signatures and disclaimers: only the replies'
    headers and content are used here, and that search scans a run of blank space from each of
    its characters (20,000 blank lines took a minute)."""

    def _process_signatures_disclaimers(self, text: str) -> tuple[list[str], str]:
        return [], ""


@dataclass
class ReplyParts:
    newest: str
    quoted: str
    signature: str
    forwarded: bool = False


def _first_reply(text: str) -> tuple[str, str]:
    """(newest, quoted) by the library's reply headers, then by ours. The library sees lines cut
    to ``_LONG_LINE`` characters: a reply header is short, and its header search takes time
    quadratic in a line's length (one 200 KB line starting with "On " took 25 minutes)."""
    lines = text.split("\n")
    cut = any(len(line) > _LONG_LINE for line in lines)
    probe = "\n".join(line[:_LONG_LINE] for line in lines) if cut else text
    replies = _Replies(text=probe, languages=list(_LIBRARY_LANGUAGES), keep_hyphen_lists=True).read().replies
    quoted = ""
    if len(replies) > 1:
        start = text.find(replies[1].headers.split("\n", 1)[0].strip()) if replies[1].headers else -1
        if start > 0:
            # the library strips lines; cut the original text so tables keep their layout
            line_start = text.rfind("\n", 0, start) + 1
            text, quoted = text[:line_start], text[line_start:]
        elif not cut:  # its contents would hold the cut lines: then the text stays whole
            text, quoted = replies[0].content, "\n\n".join(r.content for r in replies[1:])
    match = _REPLY.search(text)
    if match:
        quoted = (text[match.start():] + ("\n" + quoted if quoted else "")).strip()
        text = text[: match.start()]
    return text, quoted


def _strip_header_block(text: str) -> str:
    lines = text.strip().split("\n")
    while lines and (_HEADER_LINE.match(lines[0]) or not lines[0].strip() or _FORWARD.match(lines[0])):
        lines.pop(0)
    return "\n".join(lines)


def split_reply(text: str) -> ReplyParts:
    """Newest message, quoted history and signature of an email body."""
    text = text.replace("\r\n", "\n")
    forwarded = False
    forward = _FORWARD.search(text)
    head_text = text
    if forward:
        note = text[: forward.start()]
        if len(re.findall(r"\w+", note)) <= _SHORT_NOTE_WORDS and not _REPLY.search(note):
            forwarded = True
            head_text = _strip_header_block(text[forward.start():])
        else:
            head_text = note
    head, quoted = _first_reply(head_text)
    if forward and not forwarded:
        quoted = (quoted + "\n" + text[forward.start():]).strip()
    lines = head.split("\n")
    # '>'-quoted lines in the newest part are history too (keep interleaved text)
    kept = [ln for ln in lines if not ln.lstrip().startswith(">")]
    if len(kept) != len(lines):
        angle = "\n".join(ln for ln in lines if ln.lstrip().startswith(">"))
        quoted = f"{angle}\n{quoted}".strip()
    head = "\n".join(kept)
    signature = ""
    for pattern in (_DISCLAIMER, _SIGNATURE):
        sig = pattern.search(head)
        # a signature opener in the first line is a one-line message, not a signature
        if sig and head[: sig.start()].strip():
            signature = head[sig.start():] + ("\n" + signature if signature else "")
            head = head[: sig.start()]
    newest = head.strip()
    if not newest:  # nothing new above the history: use the whole text rather than nothing
        newest = text.strip()
    return ReplyParts(newest=newest, quoted=quoted.strip(), signature=signature.strip(), forwarded=forwarded)
