"""The model's actors: states, alliances and mediators."""

from sim.model.agents.alliance import AllianceAgent
from sim.model.agents.mediator import MediatorAgent
from sim.model.agents.state import StateAgent

__all__ = ["AllianceAgent", "MediatorAgent", "StateAgent"]
