"""The Mesa model: its agents (``agents/``) and one module per mechanism, each an ODD section."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model.escalation import EscalationModel

__all__ = ["EscalationModel"]


def __getattr__(name: str) -> Any:
    """``EscalationModel`` on first use, so that the scenario schema can read the ladder's rung
    names (``sim.model.ladder``) without importing the model that reads the schema."""
    if name == "EscalationModel":
        from sim.model.escalation import EscalationModel

        return EscalationModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
