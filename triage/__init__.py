"""triage: AI-assisted exception triage for distribution companies that run Odoo."""

__version__ = "0.1.0"
