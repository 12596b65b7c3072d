"""The newest message of a reply chain, separated from quoted history and signature.

A first, dependency-free cut: reply markers in en, de, fr, es, nl, it and pt, Outlook-style
header blocks, "-----Original Message-----", ``>`` quoting, and the common signature and
disclaimer openers. The mailbox issue may swap in a library with more languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_REPLY_MARKERS = [
    r"^-{2,}\s*(original message|urspr[üu]ngliche nachricht|message d'origine|mensaje original"
    r"|oorspronkelijk bericht|messaggio originale|mensagem original|forwarded message"
    r"|weitergeleitete nachricht)\s*-{2,}",
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

_SIGNATURE = re.compile(
    r"^(-- ?$|(best|kind|warm)? ?regards\b|mit freundlichen gr[üu](ß|ss)en|freundliche gr[üu](ß|ss)e"
    r"|viele gr[üu](ß|ss)e|cordialement|bien cordialement|salutations|saludos|atentamente"
    r"|met vriendelijke groet|vriendelijke groet|cordiali saluti|distinti saluti|atenciosamente"
    r"|cumprimentos|sincerely|cheers,?$|thanks,?$|thank you,?$|sent from my )",
    re.I | re.M,
)
_DISCLAIMER = re.compile(
    r"^(this (e-?mail|message) (and any attachments )?(is|may be) confidential|confidentiality notice"
    r"|diese e-?mail (enth[äa]lt|kann) vertrauliche|ce message (et ses pi[èe]ces jointes )?(est|peut)"
    r"|disclaimer:|registered office|gesch[äa]ftsf[üu]hrer:|amtsgericht|sitz der gesellschaft)",
    re.I | re.M,
)


@dataclass
class ReplyParts:
    newest: str
    quoted: str
    signature: str


def split_reply(text: str) -> ReplyParts:
    """Newest message, quoted history and signature of an email body."""
    text = text.replace("\r\n", "\n")
    match = _REPLY.search(text)
    head, quoted = (text[: match.start()], text[match.start() :]) if match else (text, "")
    lines = head.split("\n")
    # '>'-quoted lines in the newest part are history too (keep interleaved text)
    kept = [ln for ln in lines if not ln.lstrip().startswith(">")]
    if len(kept) != len(lines) and not quoted:
        quoted = "\n".join(ln for ln in lines if ln.lstrip().startswith(">"))
    head = "\n".join(kept)
    signature = ""
    for pattern in (_DISCLAIMER, _SIGNATURE):
        sig = pattern.search(head)
        # a signature opener in the first line is a one-line message, not a signature
        if sig and head[: sig.start()].strip():
            signature = head[sig.start() :] + ("\n" + signature if signature else "")
            head = head[: sig.start()]
    newest = head.strip()
    if not newest:  # nothing new above the history: use the whole text rather than nothing
        newest = text.strip()
    return ReplyParts(newest=newest, quoted=quoted.strip(), signature=signature.strip())
