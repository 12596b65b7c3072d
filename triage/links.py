"""What linking found: the Odoo records a signal is about (plain data; ``triage/odoo_links.py``
asks Odoo, ``proposals.py`` chooses the target record from it)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Link:
    """One Odoo record a signal is linked to, and how."""

    model: str
    id: int
    name: str
    via: str  # "PO name", "vendor reference", "sender address", "VAT number", "mail domain", "bill reference"
    ref: str = ""  # what the signal quoted
    partner_id: int | None = None  # the record's vendor (the vendor itself for res.partner)
    user_id: int | None = None  # the record's buyer (purchase orders), who gets its activities by default


@dataclass
class Links:
    vendor: Link | None = None
    orders: list[Link] = field(default_factory=list)
    bills: list[Link] = field(default_factory=list)
    bank_accounts: list[str] | None = None  # the vendor's accounts, compacted; None: not read
    ambiguous: list[str] = field(default_factory=list)  # sentences saying what could not be decided
    unknown: list[str] = field(default_factory=list)  # references Odoo does not know
    notes: list[str] = field(default_factory=list)  # other things a person should know (a mismatch)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("bank_accounts")  # account numbers stay out of the store's meta
        data["bank_accounts_on_file"] = None if self.bank_accounts is None else len(self.bank_accounts)
        return data

    def problems(self) -> list[str]:
        """Why a reference did not become a link (shown by the gate when the proposal is unlinked)."""
        return [*self.ambiguous, *(f"{ref} is not in Odoo" for ref in self.unknown)]
