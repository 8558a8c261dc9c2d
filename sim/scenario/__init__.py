"""Scenario files: the schema, loading with ``extends`` and ``--set`` overrides, the parameter reference."""

from sim.scenario.loading import ScenarioError, load_scenario, parse_override, with_overrides
from sim.scenario.schema import Scenario

__all__ = ["Scenario", "ScenarioError", "load_scenario", "parse_override", "with_overrides"]
