"""The model on crises of any shape, not only the library's.

Crises scored out of the repository will be written from their own facts, so the model must run
any structure the format admits: two to five states with several fronts, patrons that may join,
alliances, mediators (one after the horizon, one a Security Council) with summits and economic
pressure, empty sectors, garrisons of none or hundreds of thousands, any mechanism switched off.
Hypothesis builds such crises; each must validate, run to its horizon and keep the invariants:
territory conserved, no negative people or soldiers, every resident still there, dead or
displaced, deaths never falling.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.analysis.outcomes import outcomes
from sim.model.escalation import EscalationModel
from sim.scenario.loading import validate
from sim.scenario.schema import Mechanisms

ROOT = Path(__file__).resolve().parent.parent
BEHAVIOUR = tomllib.loads((ROOT / "scenarios" / "behaviour.toml").read_text(encoding="utf-8"))


@st.composite
def crises(draw: st.DrawFn) -> dict[str, Any]:
    """A raw scenario: a chain of enmities plus extra ones, sectors along each, and third parties."""
    n = draw(st.integers(2, 5))
    ids = [f"S{i}" for i in range(n)]
    wars = {(ids[0], ids[1])} | {(ids[draw(st.integers(0, i - 1))], ids[i]) for i in range(2, n)}
    unit = st.floats(0.0, 1.0)
    states: dict[str, dict[str, Any]] = {}
    for sid in ids:
        foes = sorted({b for a, b in wars if a == sid} | {a for a, b in wars if b == sid})
        aim = draw(st.sampled_from(["coercive", "territorial", "defensive"]))
        state: dict[str, Any] = {
            "name": sid,
            "forces": draw(st.sampled_from([0, 50, 1000, 20000, 200000])),
            "reserves": draw(st.sampled_from([0, 500, 50000])),
            "mobilisation_days": draw(st.floats(0.5, 10.0)),
            "mobilise_at_rung": draw(st.integers(1, 6)),
            "active_forces": draw(st.sampled_from([300000, 1000000])),
            "firepower": draw(st.floats(0.3, 2.5)),
            "drones": draw(st.floats(1.0, 2.0)),
            "stake": draw(st.floats(0.2, 6.0)),
            "war_aim": aim,
            "initial_rung": draw(st.integers(0, 4)),
            "max_rung": draw(st.integers(1, 6)),
            "belief_bias": draw(st.floats(0.3, 2.0)),
            "strike_aim_populated": draw(unit),
            "air_defence": draw(st.sampled_from([0.0, 0.5, 0.99])),
            "civil_evacuation": draw(st.booleans()),
            "concessions": {"terms": draw(st.floats(0.0, 10.0))},
            "territorial_value": draw(st.floats(0.0, 0.2)) if aim == "territorial" else 0.0,
        }
        if aim == "coercive":
            state["demands"] = ["terms"]
        state["adversaries" if len(foes) > 1 else "adversary"] = foes if len(foes) > 1 else foes[0]
        states[sid] = state
    sectors: dict[str, dict[str, Any]] = {}
    for sid in ids:
        for k in range(draw(st.integers(1, 3))):
            sectors[f"{sid}_B{k}"] = {
                "name": f"{sid} line {k}",
                "owner": sid,
                "area_km2": draw(st.sampled_from([1.0, 50.0, 2000.0])),
                "population": draw(st.sampled_from([0, 100, 50000])),
                "defensibility": draw(unit),
                "garrison": draw(st.floats(0.1, 3.0)),
                "neighbours": [],
            }
        if draw(st.booleans()):
            sectors[f"{sid}_R"] = {
                "name": f"{sid} rear",
                "owner": sid,
                "area_km2": 100.0,
                "population": draw(st.sampled_from([0, 300000])),
                "border": False,
                "neighbours": [f"{sid}_B0"],
            }
    for a, b in wars:
        sectors[f"{a}_B0"]["neighbours"].append(f"{b}_B0")
        if f"{b}_B1" in sectors and draw(st.booleans()):
            sectors[f"{a}_B1" if f"{a}_B1" in sectors else f"{a}_B0"]["neighbours"].append(f"{b}_B1")
    if draw(st.booleans()):  # a patron beside its client's enemy, not at war at hour 0
        client, enemy = draw(st.sampled_from(sorted(wars)))
        states[client]["patron"] = "P"
        states["P"] = {"name": "Patron", "war_aim": "none", "forces": 3000, "active_forces": 900000}
        sectors["P_B0"] = {"name": "Patron's road", "owner": "P", "area_km2": 50.0, "population": 0}
        sectors["P_B0"]["neighbours"] = [f"{enemy}_B0"]
    mediators = {
        f"M{k}": {
            "name": f"Mediator {k}",
            "leverage": draw(unit),
            "style": draw(st.sampled_from(["facilitative", "formulative", "manipulative"])),
            "arrival_hour": draw(st.sampled_from([0, 12, 48, 1000])),
            "acceptance": {ids[0]: draw(unit)},
        }
        for k in range(draw(st.integers(0, 2)))
    }
    if draw(st.booleans()):
        mediators["UNSC"] = {
            "name": "Security Council",
            "security_council": True,
            "veto_holders": {ids[1]: draw(unit)},
        }
    first, second = sorted(wars)[0]
    events: dict[str, dict[str, Any]] = {
        "opening": {
            "hour": 0,
            "kind": "offensive",
            "actor": first,
            "target": second,
            "rung": draw(st.integers(2, 6)),
        }
    }
    if draw(st.booleans()):
        events["declaration"] = {
            "hour": draw(st.integers(1, 60)),
            "kind": "ceasefire_declaration",
            "actor": second,
            "target": first,
        }
    alliances = {}
    if n >= 3 and draw(st.booleans()):
        alliances["PACT"] = {
            "name": "Pact",
            "members": [ids[1], ids[2]],
            "leader": ids[2],
            "obligation": draw(st.sampled_from(["collective_defence", "consultation"])),
            "leader_capacity": draw(unit),
            "cohesion": draw(unit),
        }
        events["invocation"] = {
            "hour": draw(st.integers(0, 30)),
            "kind": "treaty_invocation",
            "actor": ids[1],
            "target": "PACT",
        }
    if "M0" in mediators and draw(st.booleans()):
        events["summit"] = {"hour": draw(st.integers(0, 60)), "kind": "summit", "actor": "M0"}
        events["pressure"] = {
            "hour": draw(st.integers(0, 60)),
            "kind": "economic_pressure",
            "actor": "M0",
            "target": second,
            "amount": draw(st.floats(0.0, 3.0)),
        }
        mediators["M0"]["acceptance_after"] = {"hour": draw(st.integers(0, 60)), "acceptance": {second: 1.0}}
    switches = {name: draw(st.booleans()) for name in Mechanisms.model_fields} if draw(st.booleans()) else {}
    return {
        **BEHAVIOUR,
        "mechanisms": switches,
        "name": "any",
        "title": "A crisis of any shape",
        "start": "2030-01-01T00:00:00+00:00",
        "horizon_hours": draw(st.sampled_from([24, 120, 400])),
        "states": states,
        "sectors": sectors,
        "mediators": mediators,
        "alliances": alliances,
        "events": events,
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=crises(), seed=st.integers(0, 2**32))
def test_any_crisis_runs_with_its_invariants(raw, seed):
    scenario = validate(raw, Path("any.toml"))
    model = EscalationModel(scenario, seed).run()
    assert model.hour == scenario.horizon_hours or not model.running
    for sector in model.sectors.values():
        assert sum(sector.control.values()) == pytest.approx(sector.spec.area_km2)  # conserved
        assert min(sector.control.values()) >= 0
        assert sector.residents >= 0 and sector.civilian_deaths >= 0 and sector.displaced >= 0
        assert sector.residents + sector.civilian_deaths + sector.displaced == sector.spec.population
        assert all(f >= 0 for f in sector.forces.values())
    for state in model.states.values():
        assert state.military_deaths >= 0
        assert np.all(np.diff(model.series[f"military_deaths.{state.id}"]) >= 0)
    row = outcomes(model)
    assert 0 <= row["fighting_hours"] <= scenario.horizon_hours
    for sid in scenario.states:
        held = sum(s.spec.area_km2 for s in model.sectors.values() if s.owner == sid)
        assert 0 <= row[f"territory_lost_km2.{sid}"] <= held + 1e-9
