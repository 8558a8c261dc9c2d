"""The model as Mesa's own tools drive it: keyword construction, batch_run, DataCollector, running,
agents placed on the network space; ``sim.evaluate`` for EMA Workbench and SALib callers."""

from __future__ import annotations

import math
import runpy
from pathlib import Path

import mesa
import numpy as np
import pytest

import sim
from sim.analysis.outcomes import outcome_columns
from sim.model.escalation import EscalationModel, override_key
from sim.scenario.loading import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "sept2022.toml"


def same(a, b) -> bool:
    return (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)) or a == b


def test_keyword_safe_override_names_map_to_dotted_keys():
    assert override_key("mediators__USA__arrival_hour") == "mediators.USA.arrival_hour"
    assert override_key("mediators__RUS_MED__leverage") == "mediators.RUS_MED.leverage"
    assert override_key("mediators.USA.arrival_hour") == "mediators.USA.arrival_hour"


def test_constructor_takes_a_file_or_scenario_rng_and_keyword_overrides():
    model = EscalationModel(rng=5, mediators__USA__arrival_hour=24, alliances__CSTO__cohesion=0.5)
    assert model.spec.mediators["USA"].arrival_hour == 24
    assert model.spec.alliances["CSTO"].cohesion == 0.5
    scenario = sim.load_scenario(BASELINE)
    assert EscalationModel(scenario, 5).spec == scenario
    assert (
        EscalationModel(scenario, np.int64(5)).streams["combat"].random()
        == EscalationModel(scenario, 5).streams["combat"].random()
    )
    with pytest.raises(ScenarioError, match=r"mediators\.NOBODY"):
        EscalationModel(rng=1, mediators__NOBODY__arrival_hour=3)


def test_while_running_loop_stops_at_the_horizon_and_matches_sim_run():
    scenario = sim.load_scenario(BASELINE)
    model = EscalationModel(scenario, rng=11)
    while model.running:
        model.step()
    assert model.steps == scenario.horizon_hours
    reference = sim.run(scenario, 11)
    for name, values in model.series.items():
        np.testing.assert_array_equal(values, reference.series[name].to_numpy())
    assert all(same(model.final_outcomes[k], v) for k, v in reference.outcomes.items())


def test_datacollector_reads_the_hourly_series_and_each_agents_rung_and_belief():
    model = EscalationModel(BASELINE, rng=2)
    model.run_for(48)
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 48
    np.testing.assert_array_equal(frame["intensity"].to_numpy(), model.series["intensity"][:48])
    np.testing.assert_array_equal(frame["rung.AZE"].to_numpy(), model.series["rung.AZE"][:48])
    assert frame["ceasefire_hour"].isna().all()  # outcomes arrive at the horizon
    deaths = frame["military_deaths.ARM"].to_numpy()  # a series and an outcome: the series, hourly
    np.testing.assert_array_equal(deaths, model.series["military_deaths.ARM"][:48])
    assert deaths[-1] > 0
    agents = model.datacollector.get_agent_vars_dataframe().reset_index()
    azerbaijan = agents[agents["name"] == "Azerbaijan"]
    np.testing.assert_array_equal(azerbaijan["rung"].to_numpy(), model.series["rung.AZE"][:48])
    shares = azerbaijan["believed_share"].to_numpy()
    assert ((shares > 0) & (shares < 1)).all() and np.ptp(shares) > 0  # beliefs move with the fighting
    assert agents.loc[agents["name"] == "CSTO", "rung"].isna().all()


def test_collecting_does_not_change_the_run():
    scenario = sim.load_scenario(BASELINE)
    quiet = EscalationModel(scenario, 4, collect=False).run()
    loud = EscalationModel(scenario, 4).run()
    assert quiet.datacollector.get_model_vars_dataframe().empty
    assert len(loud.datacollector.get_model_vars_dataframe()) == scenario.horizon_hours
    for name in quiet.series:
        np.testing.assert_array_equal(quiet.series[name], loud.series[name])


def test_batch_run_gives_the_rows_of_sim_run_for_the_same_seeds():
    seeds = [3, 8]
    rows = mesa.batch_run(
        EscalationModel,
        parameters={"mediators__USA__arrival_hour": [0, 24]},
        rng=seeds,
        number_processes=2,
        data_collection_period=-1,
        display_progress=False,
    )
    agents = 3 + 1 + 5  # states, alliances and mediators of the baseline: one row each per run
    assert len(rows) == 4 * agents
    runs = {row["RunId"]: row for row in rows}
    assert len(runs) == 4
    for row in runs.values():
        arrival = row["mediators__USA__arrival_hour"]
        scenario = sim.load_scenario(BASELINE, {"mediators.USA.arrival_hour": arrival})
        expected = sim.run(scenario, row["rng"]).outcomes
        assert row["Step"] == scenario.horizon_hours
        for column in outcome_columns(scenario):
            assert same(row[column], expected[column]), (column, row[column], expected[column])
        armenia = next(r for r in rows if r["RunId"] == row["RunId"] and r["name"] == "Armenia")
        assert armenia["rung"] == row["rung.ARM"]  # agent rows agree with the model's series


def test_states_and_mediators_sit_in_cells_of_the_network_space():
    model = EscalationModel(BASELINE, rng=1)
    for sid in ("AZE", "ARM"):
        state = model.states[sid]
        assert state.cell.coordinate in model.sectors
        assert model.sectors[state.cell.coordinate].owner == sid
        assert state in state.cell.agents
    assert model.states["RUS"].cell is None  # holds no sector on this map
    assert all(m.cell is not None for m in model.mediators.values())
    placed = {a for cell in model.space.all_cells for a in cell.agents}
    assert placed == {model.states["AZE"], model.states["ARM"], *model.mediators.values()}


def test_evaluate_is_one_run_as_a_dict_in_either_key_spelling():
    dotted = sim.evaluate({"mediators.USA.arrival_hour": 24}, seed=6)
    safe = sim.evaluate({"mediators__USA__arrival_hour": 24}, seed=6)
    scenario = sim.load_scenario(BASELINE, {"mediators.USA.arrival_hour": 24})
    reference = sim.run(scenario, 6).outcomes
    assert all(same(dotted[k], v) and same(safe[k], v) for k, v in reference.items())


def test_the_ema_workbench_example_in_the_docs_runs():
    pytest.importorskip("ema_workbench", reason="ema_workbench is not installed (pip install -e .[dev])")
    results = runpy.run_path(str(ROOT / "docs" / "examples" / "ema_workbench_example.py"), run_name="test")
    experiments, outcomes = results["run"](scenarios=6, seed=1)
    assert len(experiments) == 6
    assert {"fighting_hours", "military_deaths_ARM"} <= set(outcomes)
    assert np.all(outcomes["fighting_hours"] >= 0)
