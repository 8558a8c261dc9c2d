"""The statistics behind `escsim compare` and `escsim sensitivity`, on data with known answers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis.compare import paired_difference
from sim.analysis.outcomes import as_numbers
from sim.analysis.sensitivity import indices
from sim.experiments.design import Experiment, design_points
from sim.experiments.storage import atomic_file

BASELINE = sim.load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "sept2022.toml")


def test_paired_difference_of_medians_covers_the_shift_and_collapses_for_a_constant_one():
    rng = np.random.default_rng(0)
    a = rng.normal(50.0, 10.0, size=400)
    b = a + rng.normal(3.0, 2.0, size=400)
    diff, low, high = paired_difference(a, b, "fighting_hours", seed=1)
    assert diff == pytest.approx(np.median(b) - np.median(a))  # the difference of the two medians
    assert low < diff < high and low < 3.0 < high
    assert paired_difference(a, a + 2.5, "fighting_hours", seed=1) == pytest.approx((2.5, 2.5, 2.5))
    one = np.array([1.0, np.nan, 3.0, 5.0])
    assert paired_difference(one, one + 1, "fighting_hours", seed=1)[0] == pytest.approx(1.0)


def test_paired_difference_of_shares_is_the_mean_paired_difference():
    rng = np.random.default_rng(3)
    a = (rng.random(300) < 0.2).astype(float)
    b = np.maximum(a, rng.random(300) < 0.1)
    diff, low, high = paired_difference(a, b, "full_war", seed=0)
    assert diff == pytest.approx((b - a).mean()) and low <= diff <= high and low >= 0


def test_common_random_numbers_narrow_the_interval():
    """Runs sharing a seed share their luck: pairing removes it from the difference."""
    rng = np.random.default_rng(2)
    luck = rng.normal(0, 10, size=300)
    baseline, what_if = 50 + luck + rng.normal(0, 1, 300), 52 + luck + rng.normal(0, 1, 300)
    _, lo_p, hi_p = paired_difference(baseline, what_if, "fighting_hours", seed=0)
    _, lo_u, hi_u = paired_difference(rng.permutation(baseline), what_if, "fighting_hours", seed=0)
    assert lo_p < 2.0 < hi_p
    assert hi_p - lo_p < (hi_u - lo_u) / 3


def test_sobol_indices_of_the_ishigami_function():
    """Design points and outcome rows line up with SALib's sample order: the Ishigami function's
    known first-order indices (0.314, 0.442, 0) come back."""
    box = {"min": -math.pi, "max": math.pi}
    exp = Experiment.model_validate(
        {
            "name": "ishigami",
            "scenario": "unused.toml",
            "replicates": 1,
            "design": {"kind": "saltelli", "points": 1024},
            "parameters": {"x.one": box, "x.two": box, "x.three": box},
        }
    )
    points = pd.DataFrame(design_points(exp))
    x1, x2, x3 = (points[k].to_numpy() for k in ("x.one", "x.two", "x.three"))
    y = np.sin(x1) + 7 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)
    frame = pd.DataFrame({"point": np.arange(len(points)), "error": None, "displaced.ARM": y})
    table = indices(exp, BASELINE, frame, ["displaced.ARM"]).set_index("parameter")
    assert table.loc["x.one", "S1"] == pytest.approx(0.314, abs=0.05)
    assert table.loc["x.two", "S1"] == pytest.approx(0.442, abs=0.05)
    assert abs(table.loc["x.three", "S1"]) < 0.05
    assert table.loc["x.three", "ST"] == pytest.approx(0.244, abs=0.06)
    assert (table["S1_conf"] > 0).all()
    assert table["noise_share"].isna().all()  # one replicate per point: no noise to measure
    twice = pd.concat(
        [frame.assign(**{"displaced.ARM": y + 1.0}), frame.assign(**{"displaced.ARM": y - 1.0})]
    )
    noisy = indices(exp, BASELINE, twice, ["displaced.ARM"])  # replicates ±1 apart
    assert noisy["noise_share"].iloc[0] == pytest.approx(1.0 / y.var(ddof=1))


def test_atomic_file_leaves_the_old_file_when_the_write_fails(tmp_path):
    target = tmp_path / "manifest.json"
    target.write_text("old")

    def broken(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_file(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]
    atomic_file(target, lambda tmp: tmp.write_text("new"))
    assert target.read_text() == "new" and len(list(tmp_path.iterdir())) == 1


def test_no_ceasefire_counts_as_the_horizon_not_as_missing():
    frame = pd.DataFrame(
        {
            "ceasefire_hour": [30.0, np.nan, np.nan, np.nan],
            "fighting_hours": pd.array([25, 160, 0, pd.NA], dtype="Int64"),  # last: a failed run
            "horizon_hours": [168, 168, 168, 72],
        }
    )
    assert as_numbers(frame, "ceasefire_hour", BASELINE).tolist()[:3] == [30.0, 168.0, 0.0]
    assert np.isnan(as_numbers(frame, "ceasefire_hour", BASELINE).iloc[3])
    without = frame.drop(columns="horizon_hours")
    assert as_numbers(without, "ceasefire_hour", BASELINE).iloc[1] == BASELINE.horizon_hours
    assert as_numbers(frame, "fighting_hours", BASELINE).iloc[:3].tolist() == [25.0, 160.0, 0.0]
