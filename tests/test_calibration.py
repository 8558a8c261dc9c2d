"""Calibration: files, observations, summaries, the deterministic sampler, kill -9 and resume,
recovery of a known truth, and what-ifs drawn from a posterior."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.calibration.config import load_calibration
from sim.calibration.observations import Observation, as_value, observed
from sim.calibration.posterior import Posterior
from sim.calibration.summaries import excess, signed_log
from sim.cli import main
from sim.experiments.runner import run_ensemble
from sim.scenario.loading import ScenarioError, load_scenario

# the tests shorten the Sept 2022 crisis to 24 hours, so later arrivals are warned about
pytestmark = pytest.mark.filterwarnings("ignore::sim.scenario.loading.ScenarioWarning")

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "sept2022.toml"


def escsim(*args, **kw) -> subprocess.Popen | subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("escsim")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "sim.cli"]
    return subprocess.run([*cmd, *map(str, args)], capture_output=True, text=True, timeout=600, **kw)


def observations_toml(values: dict[str, object]) -> str:
    def lit(v):
        return str(v).lower() if isinstance(v, bool) else (f'"{v}"' if isinstance(v, str) else repr(v))

    return "".join(f'\n[observed."{k}"]\nreported = {lit(v)}\n' for k, v in values.items())


def tiny(folder: Path, observed_values: dict | None = None, **settings) -> Path:
    """A 24-hour crisis (the baseline, shortened) and a small calibration of it."""
    scenario = folder / "short.toml"
    text = f'extends = "{BASELINE}"\nname = "short"\nhorizon_hours = 24\n'
    if observed_values is not None:
        text += observations_toml(observed_values)
    scenario.write_text(text, encoding="utf-8")
    spec = {"population": 10, "seed": 5, "predictive": 10, **settings}
    body = "".join(f"{k} = {v!r}\n" for k, v in spec.items() if not isinstance(v, dict))
    path = folder / "tiny.toml"
    path.write_text(
        'name = "tiny"\ncrises = ["short.toml"]\n'
        + body
        + '[parameters."combat.aimed_rate"]\nprior = "loguniform"\nlow = 1e-4\nhigh = 1e-3\n'
        + "[stop]\nmax_generations = 3\ntolerance = 0.001\nnoise = 0\n"
        + (f"[distance]\nobservables = {list(observed_values)!r}\n" if observed_values else ""),
        encoding="utf-8",
    )
    return path


# -- calibration files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        ("populaton = 3\n", ["populaton", "unknown key"]),
        ('[parameters."combat.aimed_rat"]\n', ["parameters.combat.aimed_rat", "not a scenario value"]),
        ('[parameters."model.max_rung_change"]\n', ["model.max_rung_change", "real-valued"]),
        ('[parameters."combat.advance_km2_per_hour"]\n', ["advance_km2_per_hour", "low` and `high"]),
        ('[parameters."harm.displacement_rate"]\nhigh = 2.0\n', ["displacement_rate", "≤ 1.0"]),
        ('[parameters."harm.displacement_rate"]\nprior = "normal"\n', ["`mean` and `sd`"]),
        ('[parameters."states.XXX.belief_bias"]\n', ["states.XXX.belief_bias", "no states entry"]),
    ],
)
def test_bad_calibration_files_fail_in_one_line(tmp_path: Path, capsys, extra: str, needles: list[str]):
    path = tiny(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out")]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("escsim: error")]
    assert len(errors) == 1  # one line (the shortened crisis may add warnings of its own)
    for needle in ["tiny.toml", *needles]:
        assert needle in errors[0], errors
    assert not (tmp_path / "out").exists()


def test_priors_default_to_the_schema_range(tmp_path: Path):
    path = tiny(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + '[parameters."harm.border_fire_spill"]\n', "utf-8")
    priors = {p.key: p for p in load_calibration(path).priors}
    assert (priors["harm.border_fire_spill"].low, priors["harm.border_fire_spill"].high) == (0.0, 1.0)
    assert priors["combat.aimed_rate"].kind == "loguniform"


# -- observations and summaries ---------------------------------------------------------------


def test_observations_pick_the_set_and_normalise_the_form():
    revised = {o.column: o for o in observed(load_scenario(BASELINE), "revised")}
    reported = {o.column: o for o in observed(load_scenario(BASELINE), "reported")}
    assert revised["military_deaths.ARM"].value != reported["military_deaths.ARM"].value
    entries = {
        "deaths.K+civilian_deaths.L": SimpleNamespace(reported=(2, 5), revised=None),
        "ceasefire_broker": SimpleNamespace(reported=("USA", "tacit"), revised=None),
        "full_war": SimpleNamespace(reported=False, revised=None),
    }
    got = {o.column: o for o in observed(SimpleNamespace(name="x", observed=entries), "revised")}
    assert got["deaths.K+civilian_deaths.L"].value == (2.0, 5.0)
    assert got["deaths.K+civilian_deaths.L"].columns == [
        "military_deaths.K",
        "civilian_deaths.K",
        "civilian_deaths.L",
    ]
    assert got["ceasefire_broker"].value == frozenset({"USA", "tacit"})
    assert got["full_war"].value is False


@given(st.floats(0, 1e6), st.floats(0, 1e6), st.floats(0, 1e6))
def test_excess_is_zero_inside_an_interval_and_grows_outside(a: float, b: float, x: float):
    low, high = min(a, b), max(a, b)
    obs = Observation("c", "military_deaths.A", as_value([low, high]))
    e = excess(obs, x)
    assert (e == 0) == (low <= x <= high) or np.isclose(signed_log(x), signed_log(low))
    if x > high:
        assert e > 0 and excess(obs, 2 * x + 1) >= e
    if x < low:
        assert e < 0


def test_categories_and_yes_no_cost_one_when_they_miss():
    assert excess(Observation("c", "k", "fact_finding"), "ignore") == 1.0
    assert excess(Observation("c", "k", "fact_finding"), "fact_finding") == 0.0
    assert excess(Observation("c", "deep_strikes.A", True), 3) == 0.0
    assert excess(Observation("c", "full_war", False), True) == 1.0
    assert excess(Observation("c", "k", frozenset({"USA", "tacit"})), "tacit") == 0.0


# -- kill -9 and resume ------------------------------------------------------------------------


def generations_done(db: Path) -> int:
    if not db.exists():
        return -1
    try:
        with sqlite3.connect(db) as con:
            return con.execute("select coalesce(max(t), -1) from populations").fetchone()[0]
    except sqlite3.DatabaseError:
        return -1


def test_kill_9_then_resume_gives_the_uninterrupted_posterior(tmp_path: Path):
    from sim.calibration.fit import calibrate
    from sim.calibration.report import posterior_frame
    from sim.experiments.engines import InProcess

    path = tiny(tmp_path)
    cal = load_calibration(path)
    whole = posterior_frame(cal, calibrate(cal, tmp_path / "whole", InProcess(), lambda _: None))

    exe = Path(sys.executable).with_name("escsim")
    cut = tmp_path / "cut"
    proc = subprocess.Popen(
        [exe, "calibrate", path, "--workers", "1", "--out", cut], stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while generations_done(cut / "history.db") < 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)  # mid-way through generation 1
    proc.wait()
    assert generations_done(cut / "history.db") < 2
    resumed = escsim("calibrate", path, "--workers", "2", "--out", cut)
    assert resumed.returncode == 0, resumed.stderr
    assert "stopped: NOT converged (stopped by a budget): 3 generations" in resumed.stdout
    assert "posterior predictive check" in resumed.stdout
    b = pd.read_parquet(cut / "posterior" / "posterior.parquet")
    pd.testing.assert_frame_equal(whole, b)
    fragment = (cut / "posterior" / "tiny.toml").read_text(encoding="utf-8")
    assert "[combat]" in fragment and "aimed_rate =" in fragment

    # a what-if under parameter uncertainty: reproducible, paired, and the draws are posterior particles
    post = Posterior.load(cut)
    scenario = load_scenario(tmp_path / "short.toml")
    one = run_ensemble(scenario, 6, 3, posterior=post)
    two = run_ensemble(scenario, 6, 3, posterior=post)
    pd.testing.assert_frame_equal(one, two)
    assert set(one["combat.aimed_rate"]) <= set(b["combat.aimed_rate"])
    assert post.draw(3, (0,)) == post.draw(3, (0,))

    other = escsim("calibrate", path, "--out", tmp_path / "whole", "--leave-out", "short")
    assert other.returncode == 2 and "no other crisis" in other.stderr


# -- recovering a known truth -----------------------------------------------------------------


def test_calibration_recovers_a_known_parameter(tmp_path: Path):
    from sim.calibration.fit import calibrate
    from sim.calibration.report import credible_table, posterior_frame
    from sim.experiments.engines import InProcess

    truth = 5e-4
    base = tiny(tmp_path)  # writes short.toml without observations
    scenario = load_scenario(tmp_path / "short.toml", {"combat.aimed_rate": truth})
    sims = run_ensemble(scenario, 20, 11)  # the reports: the middle fifth of twenty runs at the truth
    seen = {
        c: [float(sims[c].quantile(0.4)), float(sims[c].quantile(0.6))]
        for c in ("military_deaths.ARM", "military_deaths.AZE")
    }
    path = tiny(tmp_path, seen, population=20, replicates=1)
    assert path == base
    cal = load_calibration(path)
    history = calibrate(cal, tmp_path / "out", InProcess(), report=lambda _: None)
    table = credible_table(cal, posterior_frame(cal, history)).set_index("parameter")
    row = table.loc["combat.aimed_rate"]
    assert row["posterior_5%"] <= truth <= row["posterior_95%"]
    assert row["shrinkage"] > 0.25  # the deaths identify the attrition rate


def test_compare_and_narrate_draw_paired_parameters_from_a_posterior(tmp_path: Path, capsys):
    post = tmp_path / "cal" / "posterior"
    post.mkdir(parents=True)
    particles = pd.DataFrame(
        {"combat.aimed_rate": [1e-4, 9e-4], "harm.displacement_rate": [0.001, 0.02], "weight": [0.5, 0.5]}
    )
    particles.assign(generation=3).to_parquet(post / "posterior.parquet")
    whatif = ROOT / "scenarios" / "whatif" / "no_us_envoy.toml"
    out = tmp_path / "cmp"
    common = ["--runs", "6", "--workers", "1", "--set", "horizon_hours=12", "--quiet"]
    args = [
        "compare",
        str(BASELINE),
        str(whatif),
        *common,
        "--out",
        str(out),
        "--posterior",
        str(tmp_path / "cal"),
    ]
    assert main(args) == 0
    rows = pd.read_parquet(out / "outcomes")
    frames = [rows[rows["point"] == p].sort_values("replicate").reset_index(drop=True) for p in (0, 1)]
    assert all(len(f) == 6 for f in frames)
    drawn = frames[0]["combat.aimed_rate"]
    assert set(drawn) <= {1e-4, 9e-4} and drawn.nunique() == 2  # both particles drawn in six runs
    assert list(drawn) == list(frames[1]["combat.aimed_rate"])  # paired run by run
    assert main(["narrate", str(BASELINE), "--set", "horizon_hours=12", "--posterior", str(post)]) == 0
    assert main(["narrate", str(BASELINE), "--posterior", str(tmp_path)]) == 2
    assert "no posterior.parquet" in capsys.readouterr().err


def test_runs_drawn_from_a_posterior_get_their_own_default_folder(tmp_path: Path, monkeypatch):
    post = tmp_path / "calibration-mine" / "posterior"
    post.mkdir(parents=True)
    particles = pd.DataFrame({"combat.aimed_rate": [1e-4, 9e-4], "weight": [0.5, 0.5], "generation": 2})
    particles.to_parquet(post / "posterior.parquet")
    monkeypatch.chdir(tmp_path)
    common = ["run", str(BASELINE), "--runs", "2", "--workers", "1", "--set", "horizon_hours=6", "--quiet"]
    assert main(common) == 0
    assert main([*common, "--posterior", str(tmp_path / "calibration-mine")]) == 0  # not refused
    assert (tmp_path / "results" / "sept2022+horizon_hours=6").is_dir()
    assert (tmp_path / "results" / "sept2022-posterior-mine+horizon_hours=6").is_dir()
    again = [*common, "--set", "horizon_hours=5", "--posterior", str(post)]  # DIR/posterior
    assert main(again) == 0  # the calibration's name, whichever of its paths is given
    assert (tmp_path / "results" / "sept2022-posterior-mine+horizon_hours=5").is_dir()


# -- budgets and convergence ---------------------------------------------------------------


def test_a_budget_stops_inside_a_generation_and_keeps_the_finished_ones(tmp_path: Path):
    from sim.calibration.fit import calibrate, generations
    from sim.calibration.report import posterior_frame
    from sim.experiments.engines import InProcess

    cal = load_calibration(tiny(tmp_path))
    whole = calibrate(cal, tmp_path / "whole", InProcess(), lambda _: None)
    done = generations(whole)
    assert len(done) == 3
    # a simulation budget that ends in the middle of generation 1
    budget = done[0].total_proposals + done[1].proposals // 2
    said: list[str] = []
    cut = calibrate(cal.with_stop(max_simulations=budget), tmp_path / "cut", InProcess(), said.append)
    assert cut.max_t == 0 and "max_simulations reached inside generation 1" in said[-1]
    status = pd.read_json(tmp_path / "cut" / "convergence.json", typ="series")
    assert not status["converged"] and status["generations"] == 1
    # resumed with the file's budget: the uninterrupted posterior
    resumed = calibrate(cal, tmp_path / "cut", InProcess(), lambda _: None)
    pd.testing.assert_frame_equal(posterior_frame(cal, whole), posterior_frame(cal, resumed))


def test_the_wall_clock_budget_is_checked_inside_a_generation():
    import pyabc

    from sim.calibration.sampler import OrderedSampler
    from sim.experiments.engines import InProcess

    def slow_rejection():
        time.sleep(0.05)
        return pyabc.Particle(
            m=0, parameter=pyabc.Parameter(a=0.0), weight=1.0, sum_stat={}, distance=1.0, accepted=False
        )

    sampler = OrderedSampler(InProcess(), seed=1, chunk=2)
    sampler.deadline = time.monotonic() + 0.5
    t0 = time.monotonic()
    sample = sampler.sample_until_n_accepted(5, slow_rejection, 0)
    assert not sample.ok and sampler.stopped_by == "wall-clock budget"
    assert time.monotonic() - t0 < 2.0


def test_convergence_is_declared_when_the_posterior_stops_moving(tmp_path: Path):
    from sim.calibration.fit import calibrate, posterior_shift
    from sim.experiments.engines import InProcess

    path = tiny(tmp_path)
    path.write_text(path.read_text().replace("tolerance = 0.001", "tolerance = 0.9"), encoding="utf-8")
    said: list[str] = []
    history = calibrate(load_calibration(path), tmp_path / "out", InProcess(), said.append)
    assert history.max_t == 2  # min_generations (3): the first comparison that counts is within tolerance
    assert said[-1].startswith("stopped: converged: posterior quantiles moved")
    assert "posterior moved" in said[-2]
    raw = posterior_shift(load_calibration(path), history)  # the file's noise = 0: the raw move
    judged = posterior_shift(load_calibration(path).with_stop(noise=2.0), history)
    assert raw.beyond_noise == raw.moved and raw.band == 0.0
    assert judged.moved == raw.moved and judged.band > 0.0 and judged.beyond_noise < raw.moved


def test_quantile_errors_follow_the_effective_sample_size():
    from sim.calibration.fit import quantiles_with_error

    x = np.random.default_rng(0).uniform(size=4000)
    q, error = quantiles_with_error(x, np.ones_like(x))
    assert np.allclose(q, [0.05, 0.5, 0.95], atol=0.02)
    binomial = np.sqrt([0.0475, 0.25, 0.0475] / np.float64(4000))  # the s.e. of U(0, 1)'s quantiles
    assert np.allclose(error, binomial, rtol=0.3)
    skewed = np.where(np.arange(x.size) < 100, 1.0, 1e-9)  # the same sample carried by 100 particles
    _, wide = quantiles_with_error(x, skewed)
    assert np.all(wide > 3 * error)


def test_shrinkage_of_a_log_uniform_parameter_is_measured_in_decades():
    from sim.calibration.config import Bounded
    from sim.calibration.report import credible_table

    rate = Bounded("combat.aimed_rate", "loguniform", 1e-4, 1e-2)
    upper_decade = 10 ** np.random.default_rng(1).uniform(-3, -2, size=4000)  # the lower one ruled out
    post = pd.DataFrame({rate.key: upper_decade, "weight": np.full(4000, 1 / 4000)})
    row = credible_table(SimpleNamespace(priors=[rate]), post).iloc[0]
    assert row["shrinkage"] == pytest.approx(0.5, abs=0.03)  # half the decades, though 90 % of the width
    assert row["verdict"] == "identified"


def test_a_move_within_monte_carlo_error_counts_as_converged_and_a_larger_one_does_not(tmp_path: Path):
    from sim.calibration.fit import Generation, Shift, stop_reason

    cal = load_calibration(tiny(tmp_path)).with_stop(max_generations=10)
    done = [Generation(t, 1.0, 10, 20, 20 * (t + 1), 8.0, 1.0) for t in range(3)]
    started = time.monotonic()
    assert stop_reason(cal, done, started, Shift(0.3, beyond_noise=0.0005, band=0.3))[0] is True
    assert stop_reason(cal, done, started, Shift(0.3, beyond_noise=0.3, band=0.0)) is None
    too_soon = done[:2]  # min_generations
    assert stop_reason(cal, too_soon, started, Shift(0.3, beyond_noise=0.0, band=0.3)) is None
    degenerate = [*done[:2], Generation(2, 1.0, 10, 20, 60, 2.0, 1.0)]  # ESS 2 of 10 particles
    assert stop_reason(cal, degenerate, started, Shift(0.3, beyond_noise=0.0, band=0.3)) is None


def test_calibration_files_extend_a_base_and_budgets_do_not_block_a_resume(tmp_path: Path):
    base = load_calibration(tiny(tmp_path))
    (tmp_path / "sub").mkdir()
    child = tmp_path / "sub" / "small.toml"
    child.write_text('extends = "../tiny.toml"\nname = "small"\npopulation = 4\n[stop]\nmax_minutes = 2\n')
    cal = load_calibration(child)
    assert cal.spec.population == 4 and cal.spec.stop.max_minutes == 2
    assert cal.spec.stop.max_generations == 3 and list(cal.crises) == ["short"]
    assert [(p.key, p.kind, p.low, p.high) for p in cal.priors] == [
        (p.key, p.kind, p.low, p.high) for p in base.priors
    ]
    assert base.with_stop(max_minutes=1).digest() == base.digest()


def test_sweep_draws_from_a_posterior_by_run_identity_and_resumes(tmp_path: Path):
    post = tmp_path / "cal" / "posterior"
    post.mkdir(parents=True)
    particles = pd.DataFrame(
        {"combat.aimed_rate": [1e-4, 9e-4], "harm.displacement_rate": [0.001, 0.02], "weight": [0.5, 0.5]}
    )
    particles.assign(generation=3).to_parquet(post / "posterior.parquet")
    exp = tmp_path / "exp.toml"
    exp.write_text(
        f'name = "t"\nscenario = "{BASELINE.as_posix()}"\nreplicates = 4\nseed = 5\n'
        '[overrides]\nhorizon_hours = 12\n[design]\nkind = "grid"\n'
        '[parameters."combat.aimed_rate"]\nlevels = [2e-4, 3e-4]\n',
        encoding="utf-8",
    )
    out = tmp_path / "sw"
    args = [
        "sweep",
        str(exp),
        "--workers",
        "1",
        "--quiet",
        "--out",
        str(out),
        "--posterior",
        str(tmp_path / "cal"),
    ]
    assert main(args) == 0
    rows = pd.read_parquet(out / "outcomes").sort_values(["point", "replicate"]).reset_index(drop=True)
    assert len(rows) == 8
    assert set(rows["combat.aimed_rate"]) == {2e-4, 3e-4}  # the design's values, not drawn
    drawn = Posterior.load(tmp_path / "cal").without(["combat.aimed_rate"])
    expected = [drawn.draw(5, (p, r))["harm.displacement_rate"] for p in (0, 1) for r in range(4)]
    assert list(rows["harm.displacement_rate"]) == expected  # seeded by the run's identity
    assert main(args) == 0  # a second session resumes: nothing to add, the same rows
    again = pd.read_parquet(out / "outcomes").sort_values(["point", "replicate"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(rows, again)
    other = tmp_path / "cal2" / "posterior"
    other.mkdir(parents=True)
    particles.assign(weight=[0.9, 0.1], generation=3).to_parquet(other / "posterior.parquet")
    args[-1] = str(tmp_path / "cal2")
    assert main(args) != 0  # another posterior under the same folder is refused


def test_a_resumed_calibration_rewrites_its_report(tmp_path: Path):
    from sim.calibration import session
    from sim.experiments.engines import InProcess

    cal = load_calibration(tiny(tmp_path, population=6))
    out = tmp_path / "out"
    session.one(cal.with_stop(max_generations=1), out, InProcess(), None, lambda _: None)
    first = pd.read_parquet(out / "posterior" / "posterior.parquet")
    session.one(cal.with_stop(max_generations=2), out, InProcess(), None, lambda _: None)  # resumed
    second = pd.read_parquet(out / "posterior" / "posterior.parquet")
    assert set(first.generation) == {0} and set(second.generation) == {1}
    (out / "posterior" / "notes.txt").write_text("mine")
    with pytest.raises(ScenarioError, match=r"notes\.txt"):
        session.one(cal.with_stop(max_generations=2), out, InProcess(), None, lambda _: None)


def test_a_calibration_made_by_other_model_code_is_not_resumed(tmp_path: Path):
    from sim.calibration import session
    from sim.experiments.engines import InProcess

    cal = load_calibration(tiny(tmp_path, population=4))
    out = tmp_path / "out"
    session.one(cal.with_stop(max_generations=1), out, InProcess(), None, lambda _: None)
    stamp = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    (out / "calibration.json").write_text(json.dumps(stamp | {"model_code": "f" * 64}), encoding="utf-8")
    history = (out / "history.db").read_bytes()
    with pytest.raises(ScenarioError, match="made by other model code"):
        session.one(cal.with_stop(max_generations=2), out, InProcess(), None, lambda _: None)
    assert (out / "history.db").read_bytes() == history
