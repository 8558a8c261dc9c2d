"""The model's actors: states, alliances and mediators."""

from sim.agents.alliance import AllianceAgent
from sim.agents.mediator import MediatorAgent
from sim.agents.state import StateAgent

__all__ = ["AllianceAgent", "MediatorAgent", "StateAgent"]
