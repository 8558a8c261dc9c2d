"""Observed values, their matching against an ensemble, and `escsim score` end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim import load_scenario
from sim.analysis import observed
from sim.analysis.compare import observed_text
from sim.analysis.outcomes import outcome_columns
from sim.analysis.score import NOT_MODELLED, score_frame, score_scenario, totals
from sim.analysis.summary import format_summary, summarise
from tests.test_cli import BASELINE, assert_clean_error, escsim
from tests.test_model import TINY

OBSERVED = """
[sources.sheet]
title = "A made-up fact sheet"
outlet = "nowhere"
date = 2030-02-01

[observed.ceasefire_hour]
reported = [10, 40]
source = "sheet"

[observed."wounded.B"]
reported = 1
note = "no such outcome column: scored as not modelled"

[observed."deaths.B"]
reported = 20
revised = [30, 60]
source = "sheet"
revised_source = "sheet"

[observed."military_deaths.A+military_deaths.B"]
reported = [1, 1000]

[observed."deep_strikes.B"]
reported = true

[observed.ceasefire_broker]
reported = ["M", "tacit", "none"]

[observed.full_war]
reported = false
"""

ABSURD = """
[observed."military_deaths.A"]
reported = 1e9
[observed."alliance_response.PACT"]
reported = "no_such_response"
[observed.full_war]
reported = true
"""


def write(tmp_path: Path, name: str, extra: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(TINY.replace('name = "tiny"', f'name = "{name}"', 1) + extra, encoding="utf-8")
    return path


def numeric(values) -> observed.Distribution:
    return observed.distribution(pd.Series(values, dtype=float))


# --- matching, by kind of figure ------------------------------------------------------------------
def test_a_number_matches_inside_the_interval_only():
    dist = numeric(np.arange(101))  # 5 % = 5, 95 % = 95
    assert observed.overlaps(dist, 50) and observed.overlaps(dist, 5) and observed.overlaps(dist, 95)
    assert not observed.overlaps(dist, 96) and not observed.overlaps(dist, 4.9)


def test_a_range_matches_when_it_overlaps_the_interval():
    dist = numeric(np.arange(101))
    assert observed.overlaps(dist, (90.0, 200.0)) and observed.overlaps(dist, (0.0, 5.0))
    assert observed.overlaps(dist, (-10.0, 1e6))  # a range around the whole interval
    assert not observed.overlaps(dist, (96.0, 200.0)) and not observed.overlaps(dist, (0.0, 4.0))


def test_a_category_matches_only_the_modal_category():
    dist = observed.distribution(pd.Series(["statement"] * 6 + ["fact_finding"] * 4, dtype="string"))
    assert dist.kind == "categorical" and dist.modal == "statement"
    assert observed.overlaps(dist, "statement")
    assert not observed.overlaps(dist, "fact_finding")  # 40 % of runs: frequent, but not modal
    assert observed.overlaps(dist, ("fact_finding", "statement"))  # any of several


def test_yes_no_matches_the_modal_answer_and_reads_counts_as_any():
    war = observed.distribution(pd.Series([True] * 3 + [False] * 7, dtype="boolean"))
    assert observed.overlaps(war, False) and not observed.overlaps(war, True)
    strikes = pd.Series([0, 0, 4, 7, 1], dtype="Int64")
    dist = observed.distribution(strikes, True)
    assert dist.kind == "binary" and observed.overlaps(dist, True) and not observed.overlaps(dist, False)


def test_a_figure_of_another_kind_or_none_cannot_be_compared():
    dist = numeric([1, 2, 3])
    assert observed.overlaps(dist, "fact_finding") is None
    assert observed.overlaps(dist, None) is None
    assert observed.overlaps(numeric([]), 3) is None  # no run had a value


def test_ratio_uses_the_value_the_geometric_mean_or_the_midpoint():
    dist = numeric([10.0, 10.0, 10.0])
    assert observed.ratio(dist, 5) == pytest.approx(2.0)
    assert observed.point((4.0, 25.0)) == (10.0, "geometric mean of range")
    assert observed.ratio(dist, (4.0, 25.0)) == pytest.approx(1.0)
    assert observed.point((0.0, 10.0)) == (5.0, "midpoint of range")
    assert math.isnan(observed.ratio(dist, 0)) and observed.within_factor(math.nan) is None


finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(st.lists(finite, min_size=1, max_size=60), finite, finite)
def test_overlap_is_interval_intersection(values, a, b):
    low, high = min(a, b), max(a, b)
    dist = numeric(values)
    assert observed.overlaps(dist, (low, high)) == (low <= dist.high and dist.low <= high)
    assert observed.overlaps(dist, dist.median)  # the median is always inside its own interval
    # a range matches if and only if some number in it would
    assert observed.overlaps(dist, (low, high)) == any(
        observed.overlaps(dist, x) for x in (low, high, dist.low, dist.high) if low <= x <= high
    )


@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=40))
def test_exactly_one_category_matches(labels):
    dist = observed.distribution(pd.Series(labels, dtype="string"))
    assert sum(bool(observed.overlaps(dist, c)) for c in "abc") == 1
    assert observed.overlaps(dist, ("a", "b", "c"))


@given(st.floats(1e-3, 1e3))
def test_within_a_factor_is_symmetric(r):
    assert observed.within_factor(r) == observed.within_factor(1 / r)


def test_sums_and_derived_observables_add_columns():
    assert observed.columns_of("deaths.KGZ") == ["military_deaths.KGZ", "civilian_deaths.KGZ"]
    assert observed.columns_of("military_deaths.A+deaths.B") == [
        "military_deaths.A",
        "military_deaths.B",
        "civilian_deaths.B",
    ]


# --- summary: reported and revised matched separately ----------------------------------------------
def test_summary_matches_reported_and_revised_figures_separately():
    scenario = load_scenario(BASELINE)
    frame = pd.DataFrame({c: np.zeros(20) for c in outcome_columns(scenario)})
    frame["military_deaths.ARM"] = np.linspace(100, 150, 20)
    arm = next(line for line in summarise(scenario, frame) if line.outcome == "military_deaths.ARM")
    assert arm.inside is True  # 105 reported: inside 100–150
    assert arm.inside_revised is False  # 202 revised: outside, and said so
    summary = format_summary(scenario, frame, None)
    assert (
        "failed_ceasefires" in summary
        and "not modelled (no such outcome yet): failed_ceasefires" not in summary
    )


def test_compare_shows_the_baselines_observed_figures():
    scenario = load_scenario(BASELINE)
    assert observed_text(scenario, "military_deaths.ARM") == "105 / 202"
    assert observed_text(scenario, "ceasefire_hour") == "– / 44"
    assert observed_text(scenario, "peak_rung.ARM") == ""


# --- scenario files ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        ("[observed.full_war]\nreported = true\nsource = 'nope'", ["observed", "unknown source id"]),
        ("[observed.'military_deaths.Z']\nreported = 3", ["military_deaths.Z", "known state"]),
        ("[observed.ceasefire_hour]\nreported = [40, 10]", ["observed.ceasefire_hour", "low ≤ high"]),
        ("[observed.ceasefire_hour]\nnote = 'nothing'", ["observed.ceasefire_hour", "reported"]),
    ],
)
def test_bad_observed_tables_give_one_clear_error(tmp_path, extra, needles):
    assert_clean_error(escsim("validate", write(tmp_path, "bad", extra)), "bad.toml", *needles)


# --- scoring --------------------------------------------------------------------------------------
def test_score_lines_count_not_modelled_observables_apart(tmp_path):
    scenario = load_scenario(write(tmp_path, "tiny", OBSERVED))
    frame = pd.DataFrame(
        {
            "ceasefire_hour": [20.0, 30.0],
            "fighting_hours": pd.array([20, 30], dtype="Int64"),
            "military_deaths.A": pd.array([5, 7], dtype="Int64"),
            "military_deaths.B": pd.array([9, 11], dtype="Int64"),
            "civilian_deaths.B": pd.array([1, 1], dtype="Int64"),
            "deep_strikes.B": pd.array([0, 3], dtype="Int64"),
            "ceasefire_broker": pd.array(["M", "M"], dtype="string"),
            "full_war": pd.array([False, False], dtype="boolean"),
        }
    )
    table = score_frame(score_scenario("tiny", scenario, frame))
    by = table.set_index("observable")
    assert by.loc["wounded.B", "status"] == NOT_MODELLED
    assert by.loc["deaths.B", "median"] == 11.0 and by.loc["deaths.B", "match_revised"] is np.False_
    assert by.loc["military_deaths.A+military_deaths.B", "median"] == 16.0
    assert by.loc["ceasefire_broker", "match"]
    sums = totals(table).set_index("crisis")
    assert (
        sums.loc["all", "not_modelled"] == 1
        and sums.loc["all", "observables"] == len(OBSERVED.split("[observed")) - 1
    )
    assert sums.loc["all", "match_of"] == sums.loc["all", "observables"] - 1


def test_score_cli_end_to_end_on_a_scenario_outside_the_repository(tmp_path):
    paths = [write(tmp_path, "tiny", OBSERVED), write(tmp_path, "absurd", ABSURD)]
    out = tmp_path / "score"
    proc = escsim("score", *paths, "--runs", "6", "--seed", "2", "--workers", "1", "--quiet", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "deaths.B" in proc.stdout and "(not modelled)" in proc.stdout
    assert "absurd: 0 of 3 observables match" in proc.stdout  # nothing matches, and still exit 0
    table = pd.read_parquet(out / "score.parquet")
    assert set(table["crisis"]) == {"tiny", "absurd"}
    assert pd.read_csv(out / "score.csv").shape == table.shape
    for name in ("tiny", "absurd"):
        assert len(pd.read_parquet(out / f"outcomes-{name}.parquet")) == 6
        for suffix in ("png", "svg"):
            assert (out / "plots" / f"score-{name}.{suffix}").stat().st_size > 1000
    assert (out / "totals.csv").exists() and (out / "manifest.json").exists()
    again = escsim("score", *paths, "--runs", "6", "--seed", "2", "--workers", "2", "--quiet", "--out", out)
    assert again.stdout.split("\n")[:-2] == proc.stdout.split("\n")[:-2]  # same seed, same score


def test_score_rejects_a_bad_scenario_before_running_anything(tmp_path):
    out = tmp_path / "score"
    bad = write(tmp_path, "bad", "[observed.full_war]\nreported = 'maybe'\nsource = 'nope'")
    assert_clean_error(escsim("score", write(tmp_path, "ok", OBSERVED), bad, "--out", out), "bad.toml")
    assert not out.exists()


def test_score_warns_of_a_scenario_with_nothing_to_score(tmp_path):
    bare = write(tmp_path, "bare", "")
    proc = escsim("score", bare, "--runs", "2", "--quiet", "--out", tmp_path / "score")
    assert proc.returncode == 0, proc.stderr  # a measurement, whatever it finds
    assert f"{bare}: no [observed] table" in proc.stderr and "Traceback" not in proc.stderr


def test_score_applies_set_to_every_scenario_and_names_a_bad_key(tmp_path):
    paths = [write(tmp_path, "tiny", OBSERVED), write(tmp_path, "absurd", ABSURD)]
    out = tmp_path / "score"
    args = ("score", *paths, "--runs", "4", "--quiet", "--out", out)
    proc = escsim(*args, "--set", "mechanisms.agreements=false")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / "manifest.json").read_text())["overrides"] == {"mechanisms.agreements": "False"}
    for crisis in ("tiny", "absurd"):
        scenario = json.loads((out / "manifest.json").read_text())["crises"][crisis]["scenario"]
        assert scenario["mechanisms"]["agreements"] is False
    assert_clean_error(escsim(*args, "--set", "mechanisms.agreemnts=false"), "agreements")


def test_score_refuses_a_folder_it_did_not_write_before_running_anything(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    proc = escsim("score", write(tmp_path, "ok", OBSERVED), "--runs", "2000", "--out", out)
    assert_clean_error(proc, "notes.txt")
    assert "crisis/s" not in proc.stderr  # refused before the first ensemble, not after it
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_open_ended_range_reads_more_than():
    """'More than N' is [N, inf]: it matches an interval reaching N or above, a median above N reads
    ratio 1 (below it, median/N), and it shows as "> N"; a range cannot start at inf or be NaN."""
    from sim.analysis import observed as obs
    from sim.scenario.schema import Observed

    figure = Observed(reported=[2500, math.inf]).reported
    assert obs.is_range(figure)
    above = obs.Distribution("numeric", 3000.0, 9000.0, 20000.0)
    below = obs.Distribution("numeric", 100.0, 500.0, 1000.0)
    assert obs.overlaps(above, figure) is True and obs.overlaps(below, figure) is False
    assert obs.ratio(above, figure) == 1.0 and obs.ratio(below, figure) == pytest.approx(0.2)
    assert obs.show(figure) == "> 2,500"
    for bad in ([math.inf, 5], [math.nan, 5], math.inf):
        with pytest.raises(ValueError):
            Observed(reported=bad)


def test_an_open_ended_observed_range_is_a_band_to_the_axis_edge_without_warnings():
    """ "More than 2,500" is [2500, inf]: the band runs to the histogram's right edge, finite."""
    import warnings

    import matplotlib.pyplot as plt

    from sim.analysis.plots import distribution_panel
    from sim.scenario.schema import Observed

    fig, ax = plt.subplots()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        distribution_panel(ax, pd.Series([3000.0, 9000.0, 15000.0]), Observed(reported=[2500, math.inf]), "x")
        fig.canvas.draw()
    _, high = ax.get_xlim()
    band = next(p for p in ax.patches if p.get_label().startswith("reported"))
    x0, x1 = band.get_x(), band.get_x() + band.get_width()
    assert x0 == 2500 and math.isfinite(x1) and x1 >= high - 1e-9 and high >= 15000
    plt.close(fig)
