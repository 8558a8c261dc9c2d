"""Border sectors on a Mesa network space.

A sector is a cell of ``mesa.discrete_space.Network``: its neighbours are the sectors it touches.
A *front* is a pair of adjacent border sectors held by adversaries; fire and ground offensives
happen across fronts, deep strikes reach the sectors behind them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random

import networkx as nx
from mesa.discrete_space import Network

from sim.scenario.schema import Scenario
from sim.scenario.schema import Sector as SectorSpec


@dataclass(slots=True)
class Sector:
    """The changing state of one sector; ``spec`` holds what the scenario fixed."""

    id: str
    spec: SectorSpec
    control: dict[str, float]  # km² held by each state; sums to the sector's area
    residents: int  # civilians still living there
    civilian_deaths: int = 0
    displaced: int = 0
    forces: dict[str, float] = field(default_factory=dict)  # soldiers present, by state

    @property
    def owner(self) -> str:
        return self.spec.owner


def build_sectors(scenario: Scenario, random: Random) -> tuple[dict[str, Sector], Network]:
    """Sectors with their starting control and garrisons, and the network they live on."""
    graph = nx.Graph()
    graph.add_nodes_from(scenario.sectors)
    for sid, spec in scenario.sectors.items():
        graph.add_edges_from((sid, n) for n in spec.neighbours)
    space = Network(graph, layout=None, random=random)

    sectors = {
        sid: Sector(sid, spec, {spec.owner: spec.area_km2}, int(spec.population))
        for sid, spec in scenario.sectors.items()
    }
    for state_id, state in scenario.states.items():
        own = [s for s in sectors.values() if s.owner == state_id and s.spec.border]
        weight = sum(s.spec.garrison for s in own)
        for s in own:
            s.forces[state_id] = state.forces * s.spec.garrison / weight if weight else 0.0
    return sectors, space


def fronts(scenario: Scenario, graph: nx.Graph, hostile: Callable[[str, str], bool]) -> list[tuple[str, str]]:
    """Adjacent border-sector pairs whose owners are at war (``hostile``), each pair once."""
    out = []
    for u, v in graph.edges:
        su, sv = scenario.sectors[u], scenario.sectors[v]
        if su.border and sv.border and hostile(su.owner, sv.owner):
            out.append(tuple(sorted((u, v))))
    return sorted(out)
