"""The crisis library: one shared behavioural file, facts only in each crisis, and a score of a
handful of runs per crisis (the full scoring is a README command, not a test)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from pydantic_core import PydanticCustomError

from sim import load_scenario
from sim.analysis.score import NOT_COMPARABLE, score
from sim.experiments.design import load_experiment
from sim.scenario.loading import ScenarioError, parse_override
from sim.scenario.schema import RUNG_NAMES, Ceasefire, Combat, Harm, Ladder, Model, Scenario, rung_number

ROOT = Path(__file__).resolve().parent.parent
BEHAVIOUR = ROOT / "scenarios" / "behaviour.toml"
CRISES = sorted((ROOT / "scenarios" / "crises").glob("*.toml"))
BEHAVIOURAL = {"model": Model, "ladder": Ladder, "combat": Combat, "harm": Harm, "ceasefire": Ceasefire}


def test_the_shared_file_holds_only_valid_behavioural_tables():
    raw = tomllib.loads(BEHAVIOUR.read_text(encoding="utf-8"))
    assert set(raw) == set(BEHAVIOURAL)
    for table, model in BEHAVIOURAL.items():
        model.model_validate(raw[table])  # known keys, values in range


def test_four_crises_and_the_template_is_not_one_of_them():
    assert len(CRISES) == 4
    assert (ROOT / "scenarios" / "crises" / "TEMPLATE.toml.example").exists()


@pytest.mark.parametrize("path", CRISES, ids=lambda p: p.stem)
def test_each_crisis_extends_the_shared_file_and_sets_no_behaviour(path):
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    assert (path.parent / raw["extends"]).resolve() == BEHAVIOUR
    assert not set(raw) & set(BEHAVIOURAL), "a crisis changing behaviour is a finding, not a fix"
    scenario = load_scenario(path)
    shared = tomllib.loads(BEHAVIOUR.read_text(encoding="utf-8"))
    for table in BEHAVIOURAL:
        dump = getattr(scenario, table).model_dump()
        for key, value in shared[table].items():  # ladder columns are tuples in the model, lists in TOML
            assert (list(dump[key]) if isinstance(dump[key], tuple) else dump[key]) == value, (table, key)
    assert scenario.observed, "a crisis is scored against its [observed] table"
    for key, obs in scenario.observed.items():
        assert obs.source or obs.revised_source, f"{key}: every observed figure cites a source"


def test_a_handful_of_runs_scores_every_crisis(tmp_path):
    result = score([ROOT / "scenarios" / "sept2022.toml", *CRISES], runs=4, seed=1, out=tmp_path / "s")
    table = result.table
    assert set(table["crisis"]) == {"sept2022", *(load_scenario(p).name for p in CRISES)}
    assert not table["status"].eq(NOT_COMPARABLE).any(), table[table["status"] == NOT_COMPARABLE]
    overall = result.totals.set_index("crisis").loc["all"]
    assert overall["observables"] == len(table) and overall["match_of"] > 0
    assert sorted(p.name for p in (tmp_path / "s" / "plots").glob("*.png")) == sorted(
        f"score-{name}.png" for name in table["crisis"].unique()
    )


def test_the_template_is_a_valid_crisis_once_filled_in(tmp_path):
    text = (ROOT / "scenarios" / "crises" / "TEMPLATE.toml.example").read_text(encoding="utf-8")
    filled = re.sub(r"<[^>\n]*>", "x", text).replace('"../behaviour.toml"', f'"{BEHAVIOUR}"')
    (tmp_path / "crisis.toml").write_text(filled, encoding="utf-8")
    scenario = load_scenario(tmp_path / "crisis.toml")
    assert {"ceasefire_hour", "deaths.BBB", "ceasefire_broker"} <= set(scenario.observed)


RUNG_KEYS = re.compile(r"^\s*(initial_rung|max_rung|mobilise_at_rung|rung|\w+_rung_cap)\s*=\s*(\S+)", re.M)


@pytest.mark.parametrize(
    "path",
    [*CRISES, ROOT / "scenarios" / "sept2022.toml", ROOT / "scenarios" / "crises" / "TEMPLATE.toml.example"],
    ids=lambda p: p.stem,
)
def test_rungs_are_written_by_name(path):
    found = RUNG_KEYS.findall(path.read_text(encoding="utf-8"))
    assert found, "each of these files names a rung somewhere"
    for key, value in found:
        assert value.strip('"') in RUNG_NAMES, f"{path.name}: `{key} = {value}`: write the rung's name"


def test_a_rung_is_read_by_name_or_number():
    assert rung_number("deep_strikes") == rung_number("Deep strikes") == rung_number("deep-strikes") == 4
    assert rung_number(2) == 2 and rung_number(None) is None  # numbers go to the usual range checks
    with pytest.raises(PydanticCustomError, match=r"did you mean `ground_offensive`"):
        rung_number("ground offense")


def test_a_rung_name_and_its_number_are_one_override_one_level_and_one_figure(tmp_path):
    assert parse_override('states.A.max_rung="Deep strikes"') == ("states.A.max_rung", 4)
    assert parse_override("states.A.forces=4") == ("states.A.forces", 4)  # not a rung: as given
    experiment = tmp_path / "e.toml"
    experiment.write_text(
        f'name = "e"\nscenario = "{ROOT / "scenarios" / "sept2022.toml"}"\n[design]\nkind = "grid"\n'
        '[parameters."states.AZE.max_rung"]\nlevels = [3, "deep_strikes", "Deep strikes"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match="4 is listed twice"):
        load_experiment(experiment)
    observed = {
        "peak_rung.A": {"reported": ["artillery", "deep strikes"]},
        "note.A": {"reported": "artillery"},
    }
    assert Scenario._peak_rungs_by_name(observed) == {
        "peak_rung.A": {"reported": [3, 4]},
        "note.A": {"reported": "artillery"},  # a category of another observable stays one
    }


def test_members_fighting_each_other_get_a_call_for_restraint_not_a_treaty():
    """Kyrgyzstan and Tajikistan are both CSTO members: neither can invoke it against the other, and
    the alliance answers their fighting with a statement (the sheet: a call for restraint)."""
    from sim.model.escalation import EscalationModel

    path = ROOT / "scenarios" / "crises" / "kyrgyzstan-tajikistan-2022-09.toml"
    model = EscalationModel(path, rng=1, collect=False).run()
    csto = model.alliances["CSTO"]
    assert not csto.invoked and csto.response_label == "statement"


def test_the_baseline_extends_the_shared_behaviour():
    raw = tomllib.loads((ROOT / "scenarios" / "sept2022.toml").read_text(encoding="utf-8"))
    assert raw["extends"] == "behaviour.toml" and not set(raw) & set(BEHAVIOURAL)
