"""Sectors on a Mesa network space, who holds them, and where the fronts run.

A sector is a cell of ``mesa.discrete_space.Network``: its neighbours are the sectors it touches.
Each sector has a de jure ``owner`` (the scenario's, fixed: losses are counted against it) and a
``holder`` (who holds the line there now; it changes when a ground offensive crosses the sector).
A *front* is a pair of adjacent sectors whose holders are adversaries: fire and ground offensives
happen across fronts. The sectors *behind the line* of a state are those it holds that touch no
sector held by its adversary: deep strikes land there. Fronts and rear areas are recomputed from the
holders whenever a sector changes hands.
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
    holder: str  # who holds the line here now
    civilian_deaths: int = 0
    displaced: int = 0
    evacuation: str | None = None  # the state that ordered its residents out, if one has
    forces: dict[str, float] = field(default_factory=dict)  # soldiers present, by state
    assaulted: dict[str, float] = field(default_factory=dict)  # holder's garrison under assault (peak)

    @property
    def owner(self) -> str:
        """The de jure owner at hour 0 (never changes)."""
        return self.spec.owner


def build_sectors(scenario: Scenario, random: Random) -> tuple[dict[str, Sector], Network]:
    """Sectors with their starting control and garrisons, and the network they live on."""
    graph = nx.Graph()
    graph.add_nodes_from(scenario.sectors)
    for sid, spec in scenario.sectors.items():
        graph.add_edges_from((sid, n) for n in spec.neighbours)
    space = Network(graph, layout=None, random=random)

    sectors = {
        sid: Sector(sid, spec, {spec.owner: spec.area_km2}, int(spec.population), spec.owner)
        for sid, spec in scenario.sectors.items()
    }
    for state_id, state in scenario.states.items():
        own = [s for s in sectors.values() if s.owner == state_id and s.spec.border]
        weight = sum(s.spec.garrison for s in own)
        for s in own:
            s.forces[state_id] = state.forces * s.spec.garrison / weight if weight else 0.0
    return sectors, space


Hostile = Callable[[str, str], bool]  # (holder u, holder v) -> are they adversaries?


def fronts(sectors: dict[str, Sector], graph: nx.Graph, hostile: Hostile) -> list[tuple[str, str]]:
    """Adjacent sector pairs whose holders are adversaries, each pair once (lower id first)."""
    out = []
    for u, v in graph.edges:
        if hostile(sectors[u].holder, sectors[v].holder) or hostile(sectors[v].holder, sectors[u].holder):
            out.append((u, v) if u < v else (v, u))
    return sorted(out)


def behind_the_line(sectors: dict[str, Sector], graph: nx.Graph, state: str, enemy: str) -> list[Sector]:
    """Sectors ``state`` holds that touch no sector held by ``enemy`` (deep-strike targets)."""
    return [
        s
        for s in sectors.values()
        if s.holder == state and all(sectors[n].holder != enemy for n in graph.neighbors(s.id))
    ]
