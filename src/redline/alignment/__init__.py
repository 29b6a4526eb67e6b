"""Alignment tooling: preference data, reward models, Constitutional AI and DPO (docs/alignment.md)."""
