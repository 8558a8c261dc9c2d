"""Quiet hours run in brief: a model that skips them (``collect=False``, as the sweep runner builds
it) gives, seed for seed, the same hourly series, event log and outcomes as one that steps every
hour (``collect=True``, for Mesa's DataCollector)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.analysis.outcomes import outcomes
from sim.model.escalation import EscalationModel
from sim.scenario.loading import with_overrides

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = [ROOT / "scenarios" / "sept2022.toml", *sorted((ROOT / "scenarios" / "crises").glob("*.toml"))]


def same(a, b) -> bool:
    return (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)) or a == b


def skipped_and_stepped(scenario, seed: int) -> tuple[EscalationModel, EscalationModel]:
    skipped = EscalationModel(scenario, seed, collect=False).run()
    stepped = EscalationModel(scenario, seed, collect=True).run()
    for name, values in stepped.series.items():
        np.testing.assert_array_equal(skipped.series[name], values, err_msg=name)
    assert skipped.log.to_frame().equals(stepped.log.to_frame())
    a, b = outcomes(skipped), outcomes(stepped)
    assert a.keys() == b.keys() and all(same(a[k], b[k]) for k in a), {
        k: (a[k], b[k]) for k in a if not same(a[k], b[k])
    }
    assert stepped.skipped_hours == 0 and stepped.steps == scenario.horizon_hours
    assert skipped.steps + skipped.skipped_hours == scenario.horizon_hours
    assert skipped.time == stepped.time == scenario.horizon_hours and not skipped.running
    return skipped, stepped


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_skipping_quiet_hours_changes_nothing_in_any_crisis(path):
    scenario = sim.load_scenario(path)
    runs = [skipped_and_stepped(scenario, seed)[0] for seed in range(6)]
    assert sum(m.skipped_hours for m in runs) > 0  # there were quiet hours to skip


def test_a_breakdown_ends_a_quiet_stretch_in_the_hour_it_happens():
    """Breakdown draws are made in skipped hours; the hour of a breakdown is stepped in full with
    the same draw (put back), so agreements break in the same hours."""
    scenario = sim.load_scenario(SCENARIOS[0])
    broke = 0
    for seed in range(12):
        skipped, _ = skipped_and_stepped(scenario, seed)
        broke += sum(a.end_hour is not None for a in skipped.history) * (skipped.skipped_hours > 0)
    assert broke > 0


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    arrival=st.integers(0, 100),
    proposal=st.integers(0, 150),
    base_hazard=st.sampled_from([0.0, 0.002, 0.015, 0.2]),
    incident_half_life=st.sampled_from([None, 2.0, 12.0]),
    order=st.sampled_from(["random", "listed"]),
    breakdown=st.booleans(),
)
def test_what_ifs_that_move_what_is_due_change_nothing_either(
    seed, arrival, proposal, base_hazard, incident_half_life, order, breakdown
):
    """Mediators arriving and events falling inside what would be a quiet stretch end it."""
    scenario = with_overrides(
        sim.load_scenario(SCENARIOS[0]),
        {
            "mediators.MINSK.arrival_hour": arrival,
            "events.russian_ceasefire.hour": proposal,
            "ceasefire.base_hazard": base_hazard,
            "ceasefire.incident_half_life_hours": incident_half_life,
            "model.mediator_order": order,
            "mechanisms.breakdown": breakdown,
        },
    )
    skipped_and_stepped(scenario, seed)


def test_mesas_while_running_loop_over_a_skipping_model_records_every_hour():
    scenario = sim.load_scenario(SCENARIOS[0])
    model = EscalationModel(scenario, 3, collect=False)
    while model.running:
        model.step()
    reference = EscalationModel(scenario, 3).run()
    assert model.skipped_hours > 0 and model.time <= scenario.horizon_hours
    for name, values in reference.series.items():
        np.testing.assert_array_equal(model.series[name], values, err_msg=name)
