"""The Mesa model: its agents (``agents/``) and one module per mechanism, each an ODD section."""

from sim.model.escalation import EscalationModel

__all__ = ["EscalationModel"]
