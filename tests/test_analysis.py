"""The statistics behind `escsim compare` and `escsim sensitivity`, on data with known answers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis.compare import paired_interval
from sim.analysis.outcomes import as_numbers
from sim.analysis.sensitivity import indices
from sim.experiments.design import Experiment, design_points
from sim.experiments.storage import atomic_file

BASELINE = sim.load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "sept2022.toml")


def test_paired_interval_covers_the_mean_and_collapses_for_a_constant_shift():
    rng = np.random.default_rng(0)
    diff = rng.normal(3.0, 2.0, size=400)
    mean, low, high = paired_interval(diff, seed=1)
    assert mean == pytest.approx(diff.mean())
    assert low < mean < high and low < 3.0 < high
    assert high - low == pytest.approx(2 * 1.96 * 2.0 / math.sqrt(400), rel=0.2)
    assert paired_interval(np.full(50, 2.5), seed=1) == (2.5, 2.5, 2.5)
    assert paired_interval(np.array([1.0, np.nan, 3.0, 5.0]), seed=1)[0] == pytest.approx(3.0)


def test_common_random_numbers_narrow_the_interval():
    """Runs sharing a seed share their luck: pairing removes it from the difference."""
    rng = np.random.default_rng(2)
    luck = rng.normal(0, 10, size=300)
    baseline, what_if = 50 + luck + rng.normal(0, 1, 300), 52 + luck + rng.normal(0, 1, 300)
    _, lo_p, hi_p = paired_interval(what_if - baseline, seed=0)
    _, lo_u, hi_u = paired_interval(what_if - rng.permutation(baseline), seed=0)
    assert lo_p < 2.0 < hi_p
    assert hi_p - lo_p < (hi_u - lo_u) / 5


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
    frame = pd.DataFrame({"point": np.arange(len(points)), "error": None, "y": y})
    table = indices(exp, BASELINE, frame, ["y"]).set_index("parameter")
    assert table.loc["x.one", "S1"] == pytest.approx(0.314, abs=0.05)
    assert table.loc["x.two", "S1"] == pytest.approx(0.442, abs=0.05)
    assert abs(table.loc["x.three", "S1"]) < 0.05
    assert table.loc["x.three", "ST"] == pytest.approx(0.244, abs=0.06)
    assert (table["S1_conf"] > 0).all()
    assert table["noise_share"].isna().all()  # one replicate per point: no noise to measure
    twice = pd.concat([frame.assign(y=y + 1.0), frame.assign(y=y - 1.0)])  # replicates ±1 apart
    noisy = indices(exp, BASELINE, twice, ["y"])
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
