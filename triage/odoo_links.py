"""Linking an email or document to the Odoo records it is about.

``link(gateway, ...)`` asks Odoo (read only, explicit fields) who and what a signal quotes:

- the **vendor**: by the sender's address, else the VAT numbers the text gives, else the
  supplier name a document prints (compared without case and legal form), else the
  sender's mail domain (never a free-mail domain such as gmail.com); a contact's company
  counts, our own companies never do;
- **purchase orders**: by the references quoted, as the PO's name or as the supplier's own
  reference (the PO's ``partner_ref``), compared ignoring case, spaces, dashes and leading zeros;
- **vendor bills**: by the invoice references quoted, as the bill's reference or its name;
- the vendor's **bank accounts** (``res.partner.bank``), for an email announcing new bank details.

A reference that names several records (two vendors' POs with the same vendor reference, a
mail domain shared by two vendors) is narrowed by the vendor when one is known; when it still
names several, it is recorded as ambiguous and nothing is chosen. A reference Odoo does not
know is recorded as unknown. ``Links`` (``triage/links.py``) is plain data stored in the signal's meta.
"""

from __future__ import annotations

import re
import weakref
from email.utils import parseaddr
from typing import Any

from triage.ingest.document.labels import LEGAL_FORM
from triage.ingest.identifiers import compact
from triage.links import Link, Links
from triage.models.anomaly import reference_key
from triage.odoo import OdooGateway

# Mail domains anybody can have an address at: they say nothing about the company.
FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com", "yahoo.fr",
    "yahoo.de", "yahoo.es", "yahoo.it", "icloud.com", "me.com", "aol.com", "gmx.de", "gmx.net", "gmx.at", "web.de",
    "t-online.de", "freenet.de", "orange.fr", "wanadoo.fr", "free.fr", "laposte.net", "sfr.fr", "libero.it",
    "virgilio.it", "tiscali.it", "telefonica.net", "terra.es", "sapo.pt", "ziggo.nl", "kpnmail.nl", "planet.nl",
    "telenet.be", "skynet.be", "proton.me", "protonmail.com", "mail.com", "zoho.com", "yandex.com", "qq.com",
    "163.com",
})
CANDIDATES = 20  # rows read per loose reference search; exact comparison happens here


def _m2o(value) -> tuple[int | None, str | None]:
    if isinstance(value, list) and value:
        return value[0], (value[1] if len(value) > 1 else None)
    return None, None


def _pattern(ref: str) -> str:
    """A loose ``=ilike`` pattern for a reference: its runs of digits, without leading zeros, in
    order, anything between ("INV-2026-57" finds "INV/2026/0057"); the exact comparison follows."""
    runs = [run.lstrip("0") or "0" for run in re.findall(r"\d+", ref)]
    return "%" + "%".join(runs) + "%" if runs else ref


def _same(stored: str | None, quoted: str) -> bool:
    """The same reference written another way: case, spaces and separators aside, and leading
    zeros dropped either across the whole reference or in each group ("INV/2026/0057" is "INV-2026-57")."""
    if not stored:
        return False
    grouped = re.compile(r"(?<!\d)0+(?=\d)")
    return (reference_key(stored) == reference_key(quoted)
            or reference_key(grouped.sub("", stored)) == reference_key(grouped.sub("", quoted)))


PARTNER_FIELDS = ["id", "name", "email", "vat", "parent_id", "is_company"]
_OWN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # gateway -> our companies' partner ids


def _own_partners(gateway: OdooGateway) -> set[int]:
    """The partners of our own companies (their VAT number is on every invoice we receive); read
    once per gateway, not per email."""
    if gateway not in _OWN:
        rows = gateway.search_read("res.company", [], ["partner_id"])
        _OWN[gateway] = {pid for pid, _ in (_m2o(r.get("partner_id")) for r in rows) if pid}
    return _OWN[gateway]


def _vendors(gateway: OdooGateway, domain: list, keep=lambda row: True) -> dict[int, str]:
    """The companies (a contact counts as its company) of the partners ``domain`` finds and
    ``keep`` accepts, ours left out: id -> name."""
    found: dict[int, str] = {}
    for row in gateway.search_read("res.partner", domain, PARTNER_FIELDS, limit=CANDIDATES):
        parent_id, parent_name = _m2o(row.get("parent_id"))
        pid, name = (parent_id, parent_name or row["name"]) if parent_id else (row["id"], row["name"])
        if keep(row) and pid not in _own_partners(gateway):
            found[pid] = name
    return found


_LEGAL_FORM = re.compile(LEGAL_FORM.pattern, re.I)  # a name in Odoo may be written in any case


def name_key(name: str | None) -> str:
    """A company name compared without case, punctuation and legal form ("ACME GmbH" is "Acme")."""
    return " ".join(re.findall(r"\w+", _LEGAL_FORM.sub(" ", (name or "").lower())))


def find_vendor(gateway: OdooGateway, sender: str, vats: list[str], links: Links, names: list[str] = ()) -> None:
    """The sender's address, then each VAT number, then the name a document prints, then the
    mail domain: the first that names exactly one vendor links it; one that names several is
    recorded as ambiguous."""
    address = parseaddr(sender or "")[1].strip().lower()
    address = address if re.fullmatch(r"[^@\s]+@[\w.-]+", address) else ""
    tries: list[tuple[str, str, list, Any]] = []
    if address:
        tries.append(("sender address", address, [["email", "=ilike", address]], lambda row: True))
    for vat in vats:
        digits = re.sub(r"\D", "", vat)  # stored as typed ("DE 123 456 789"): any separators between the digits
        tries.append(("VAT number", vat, [["vat", "=ilike", "%" + "%".join(digits) + "%"]],
                      lambda row, vat=vat: _vat_equal(row.get("vat"), vat)))
    for name in names:
        key = name_key(name)
        if len(key) >= 3:
            tries.append(("supplier name", name, [["name", "ilike", key.split()[0]], ["is_company", "=", True]],
                          lambda row, key=key: name_key(row.get("name")) == key))
    domain = address.rsplit("@", 1)[1] if address else ""
    if domain and domain not in FREE_MAIL:
        tries.append(("mail domain", domain, [["email", "=ilike", f"%@{domain}"]], lambda row: True))
    for via, value, search, keep in tries:
        found = _vendors(gateway, search, keep)
        if len(found) == 1:
            [(pid, name)] = found.items()
            links.vendor = Link("res.partner", pid, name, via, value, pid)
            return
        if len(found) > 1:
            names = ", ".join(sorted(found.values()))
            links.ambiguous.append(f"the {via} {value} matches {len(found)} vendors in Odoo ({names})")
            return


def _vat_equal(stored: str | None, quoted: str) -> bool:
    """The same VAT number, with or without its country prefix."""
    a, b = compact(stored or ""), compact(quoted)
    if not a:
        return False
    strip = re.compile(r"^[A-Z]{2,3}")
    return a == b or strip.sub("", a) == strip.sub("", b)


def find_orders(gateway: OdooGateway, refs: list[str], links: Links, *, candidates: list[str] = ()) -> None:
    """POs by the references quoted (``refs``) and by the supplier's own references
    (``candidates``: only a link when Odoo knows them, never "unknown")."""
    vendor = links.vendor.id if links.vendor else None
    for ref in [*refs, *(c for c in candidates if c not in refs)]:
        pattern = _pattern(ref)
        domain = ["|", ["name", "=ilike", pattern], ["partner_ref", "=ilike", pattern]]
        rows = gateway.search_read("purchase.order", domain, ["id", "name", "partner_ref", "partner_id", "state", "user_id"],
                                   limit=CANDIDATES)
        by_name = [r for r in rows if _same(r.get("name"), ref)]
        matches = by_name or [r for r in rows if _same(r.get("partner_ref") or None, ref)]
        via = "PO name" if by_name else "vendor reference"
        if matches or ref in refs:
            _choose(links, links.orders, "purchase.order", ref, via, matches, vendor, "purchase orders")


def find_bills(gateway: OdooGateway, refs: list[str], links: Links) -> None:
    vendor = links.vendor.id if links.vendor else None
    for ref in refs:
        pattern = _pattern(ref)
        domain = [["move_type", "in", ["in_invoice", "in_refund"]], ["state", "!=", "cancel"],
                  "|", ["ref", "=ilike", pattern], ["name", "=ilike", pattern]]
        rows = gateway.search_read("account.move", domain, ["id", "name", "ref", "partner_id"], limit=CANDIDATES)
        matches = [r for r in rows if _same(r.get("ref") or None, ref) or _same(r.get("name"), ref)]
        _choose(links, links.bills, "account.move", ref, "bill reference", matches, vendor, "vendor bills")


def _choose(links: Links, into: list[Link], model: str, ref: str, via: str, rows: list[dict], vendor: int | None,
            label: str) -> None:
    if len(rows) > 1 and vendor is not None:
        narrowed = [r for r in rows if _m2o(r.get("partner_id"))[0] == vendor]
        rows = narrowed or rows
    if not rows:
        links.unknown.append(ref)
        return
    if len(rows) > 1:
        names = ", ".join(sorted(f"{r['name']} ({_m2o(r.get('partner_id'))[1] or 'no vendor'})" for r in rows)[:5])
        links.ambiguous.append(f"{ref} names {len(rows)} {label} in Odoo: {names}")
        return
    row = rows[0]
    partner_id, partner_name = _m2o(row.get("partner_id"))
    if any(link.id == row["id"] for link in into):
        return
    name = row["name"] if row.get("name") not in (None, False, "/") else (row.get("ref") or f"{model}#{row['id']}")
    user = _m2o(row.get("user_id"))[0] if row.get("user_id") else None
    into.append(Link(model, row["id"], name, via, ref, partner_id, user))  # a draft bill is named "/" until posted
    if vendor is not None and partner_id is not None and partner_id != vendor:
        links.notes.append(f"{row['name']} belongs to {partner_name}, not to the sender's company "
                           f"{links.vendor.name}")


def bank_accounts(gateway: OdooGateway, partner_id: int) -> list[str]:
    """The vendor's bank account numbers in Odoo, compacted (its contacts' accounts included)."""
    partners = [partner_id, *(r["id"] for r in gateway.search_read("res.partner", [["parent_id", "=", partner_id]],
                                                                     ["id"], limit=200))]
    rows = gateway.search_read("res.partner.bank", [["partner_id", "in", partners]], ["acc_number"], limit=200)
    return [compact(r.get("acc_number") or "") for r in rows if r.get("acc_number")]


def link(gateway: OdooGateway, *, sender: str, po_refs: list[str], supplier_refs: list[str],
         invoice_refs: list[str], vats: list[str], bank_change: bool, names: list[str] = ()) -> Links:
    """Every link of one signal (raises ``OdooError`` when Odoo cannot be asked)."""
    links = Links()
    find_vendor(gateway, sender, vats, links, names)
    find_orders(gateway, po_refs, links, candidates=supplier_refs)
    find_bills(gateway, invoice_refs, links)
    if bank_change and links.vendor is not None:
        links.bank_accounts = bank_accounts(gateway, links.vendor.id)
    return links
