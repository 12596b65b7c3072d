"""The policy gate: a YAML policy and ``decide(proposal, context) -> Decision``."""
