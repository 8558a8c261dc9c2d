"""Sweeps: bit-identical rows on any engine, resume after SIGKILL, failures recorded, refusals."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sim.experiments.runner
import sim.experiments.sweep
from sim.experiments.engines import DaskCluster, InProcess, LocalProcesses
from sim.experiments.sweep import ResultsFolder, load_outcomes, sweep
from sim.scenario.loading import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
BASELINE = (ROOT / "scenarios" / "sept2022.toml").as_posix()


def experiment(
    tmp_path: Path,
    name: str = "exp.toml",
    *,
    replicates: int = 3,
    design: str = 'kind = "grid"',
    params: str | None = None,
    series: bool = False,
) -> Path:
    params = params or '[parameters."mediators.USA.arrival_hour"]\nlevels = [0, 12, 36]\n'
    text = f'''name = "t"
scenario = "{BASELINE}"
replicates = {replicates}
seed = 5
series = {str(series).lower()}
[overrides]
horizon_hours = 48
[design]
{design}
{params}'''
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_identical_in_process_on_local_workers_and_on_dask(tmp_path):
    exp = experiment(tmp_path)
    frames = []
    for i, eng in enumerate((InProcess(), LocalProcesses(2), DaskCluster(local=2))):
        try:
            sweep(exp, tmp_path / f"out{i}", eng)
        finally:
            eng.close()
        frames.append(load_outcomes(tmp_path / f"out{i}"))
    assert len(frames[0]) == 9 and frames[0]["error"].isna().all()
    pd.testing.assert_frame_equal(frames[0], frames[1])
    pd.testing.assert_frame_equal(frames[0], frames[2])


def test_extending_replicates_and_points_keeps_existing_rows(tmp_path):
    small = experiment(
        tmp_path,
        replicates=2,
        design='kind = "sobol"\npoints = 4',
        params='[parameters."mediators.USA.arrival_hour"]\nmin = 0\nmax = 48\n',
    )
    sweep(small, tmp_path / "a", InProcess())
    before = load_outcomes(tmp_path / "a")
    bigger = experiment(
        tmp_path,
        replicates=3,
        design='kind = "sobol"\npoints = 8',
        params='[parameters."mediators.USA.arrival_hour"]\nmin = 0\nmax = 48\n',
    )
    report = sweep(bigger, tmp_path / "a", InProcess())
    assert report.done_before == 8 and report.ran == 24 - 8
    after = load_outcomes(tmp_path / "a").set_index("run_id")
    pd.testing.assert_frame_equal(after.loc[before["run_id"]].reset_index(), before)


def test_a_changed_or_shrunk_experiment_is_refused(tmp_path):
    sweep(experiment(tmp_path), tmp_path / "out", InProcess())
    changed = experiment(tmp_path, params='[parameters."mediators.USA.arrival_hour"]\nlevels = [0, 24]\n')
    with pytest.raises(ScenarioError, match="differs from the experiment already run"):
        sweep(changed, tmp_path / "out", InProcess())
    with pytest.raises(ScenarioError, match="`replicates` is 2, but 3 were already run"):
        sweep(experiment(tmp_path, replicates=2), tmp_path / "out", InProcess())
    assert len(load_outcomes(tmp_path / "out")) == 9


def test_one_sweep_at_a_time_per_folder_and_every_session_in_the_manifest(tmp_path):
    out = tmp_path / "out"
    sweep(experiment(tmp_path, replicates=1), out, InProcess())
    with ResultsFolder(out).lock(), pytest.raises(ScenarioError, match="another `escsim sweep`"):
        sweep(experiment(tmp_path, replicates=2), out, InProcess())
    sweep(experiment(tmp_path, replicates=2), out, InProcess())
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s["ran"] for s in manifest["sessions"]] == [3, 3]
    assert manifest["started"] == manifest["sessions"][0]["started"]
    assert manifest["counts"]["runs"] == 6 and len(load_outcomes(out)) == 6


def test_mixed_int_and_float_levels_give_one_column_type_across_shards(tmp_path, monkeypatch):
    monkeypatch.setattr(sim.experiments.sweep, "BATCH", 1)  # one run per shard: each shard sees one level
    params = '[parameters."alliances.CSTO.leader_distraction"]\nlevels = [0, 0.5, 1]\n'
    sweep(experiment(tmp_path, replicates=1, params=params), tmp_path / "out", InProcess())
    rows = load_outcomes(tmp_path / "out")  # pyarrow refuses shards whose types disagree
    assert rows["alliances.CSTO.leader_distraction"].tolist() == [0.0, 0.5, 1.0]
    assert len(list((tmp_path / "out" / "outcomes").glob("part-*.parquet"))) == 3


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch):
    real = sim.experiments.runner.simulate

    def flaky(scenario, seed):
        if scenario.mediators["USA"].arrival_hour == 12:
            raise RuntimeError("solver blew up")
        return real(scenario, seed)

    monkeypatch.setattr(sim.experiments.runner, "simulate", flaky)
    report = sweep(experiment(tmp_path), tmp_path / "out", InProcess())
    rows = load_outcomes(tmp_path / "out")
    bad = rows[rows["mediators.USA.arrival_hour"] == 12]
    assert report.failed == 3 and len(rows) == 9
    assert bad["error"].str.contains("RuntimeError: solver blew up").all()
    assert bad["fighting_hours"].isna().all()
    assert rows.loc[rows["error"].isna(), "fighting_hours"].notna().all()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["counts"]["failed"] == 3


def _sweep_cmd(exp: Path, out: Path) -> list[str]:
    exe = Path(sys.executable).with_name("escsim")
    return [str(exe), "sweep", str(exp), "--workers", "1", "--out", str(out), "--quiet"]


@pytest.mark.parametrize("kill_when", ["before the first shard", "after some shards"])
def test_resume_after_sigkill_gives_exactly_the_uninterrupted_rows(tmp_path, kill_when):
    exp = experiment(tmp_path, replicates=120, series=True)  # 360 runs, 8 shards
    sweep(exp, tmp_path / "whole", InProcess())
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        _sweep_cmd(exp, out), start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        shards = list((out / "outcomes").glob("part-*.parquet")) if out.exists() else []
        if (kill_when == "before the first shard" and (out / "manifest.json").exists()) or (
            kill_when == "after some shards" and len(shards) >= 2
        ):
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = subprocess.run(_sweep_cmd(exp, out), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    pd.testing.assert_frame_equal(load_outcomes(out), load_outcomes(tmp_path / "whole"))
    series = pd.read_parquet(out / "series")
    assert len(series) == 360 * 48 and not series.duplicated(["run_id", "hour"]).any()


def test_results_load_without_the_project(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    sweep(experiment(tmp_path), tmp_path / "out", InProcess())
    frame = pd.read_parquet(tmp_path / "out" / "outcomes")
    con = duckdb.connect()
    (count,) = con.execute(
        f"select count(*) from read_parquet('{tmp_path / 'out' / 'outcomes'}/*.parquet')"
    ).fetchone()
    assert len(frame) == count == 9
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["counts"] == {**manifest["counts"], "points": 3, "replicates": 3, "runs": 9}
    assert manifest["scenario_hash"] and manifest["experiment_identity"] and manifest["versions"]


def test_cli_sweep_plot_sensitivity_and_compare(tmp_path):
    exe = [str(Path(sys.executable).with_name("escsim"))]
    exp = experiment(
        tmp_path,
        replicates=2,
        series=True,
        params='[parameters."mediators.USA.arrival_hour"]\nlevels = [0, 24]\n'
        '[parameters."alliances.CSTO.leader_distraction"]\nlevels = [0.0, 0.8]\n',
    )
    out = tmp_path / "sw"
    proc = subprocess.run(
        [*exe, "sweep", exp, "--workers", "2", "--out", out, "--quiet"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "8 runs" in proc.stdout and "0 failed" in proc.stdout and "runs/s" in proc.stdout
    proc = subprocess.run([*exe, "plot", out, "--heatmap", "full_war"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for name in ("heatmap_full_war", "dist_fighting_hours", "rungs_by_point"):
        assert (out / "plots" / f"{name}.png").exists() and (out / "plots" / f"{name}.svg").exists()

    sal = experiment(
        tmp_path,
        "sal.toml",
        replicates=1,
        design='kind = "saltelli"\npoints = 8',
        params='[parameters."mediators.USA.leverage"]\nmin = 0.1\nmax = 0.7\n'
        '[parameters."states.AZE.stake"]\nmin = 2\nmax = 4\n',
    )
    proc = subprocess.run(
        [*exe, "sweep", sal, "--workers", "1", "--out", tmp_path / "sal", "--quiet"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([*exe, "sensitivity", tmp_path / "sal"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "S1" in proc.stdout and "states.AZE.stake" in proc.stdout
    table = pd.read_csv(tmp_path / "sal" / "sensitivity.csv")
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(table.columns)
    proc = subprocess.run([*exe, "sensitivity", out], capture_output=True, text=True)
    assert proc.returncode == 2 and "saltelli or morris" in proc.stderr

    whatif = ROOT / "scenarios" / "whatif" / "envoy_late.toml"
    proc = subprocess.run(
        [
            *exe,
            "compare",
            BASELINE,
            whatif,
            "--runs",
            "30",
            "--workers",
            "2",
            "--set",
            "horizon_hours=48",
            "--out",
            tmp_path / "cmp",
            "--quiet",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "envoy_late (B) against sept2022 (A)" in proc.stdout
    assert re.search(r"^outcome +unit +median A +median B +B − A \[95 % CI\]", proc.stdout, re.M)
    assert re.search(r"^full_war +% of runs +\d+\.\d% +\d+\.\d%", proc.stdout, re.M)
    rows = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    assert (rows["ci_low"] <= rows["paired_difference"]).all()
    assert (rows["paired_difference"] <= rows["ci_high"]).all()
    assert (tmp_path / "cmp" / "comparison.png").exists()


def test_bad_experiment_files_give_clear_errors(tmp_path):
    exe = [str(Path(sys.executable).with_name("escsim"))]
    typo = experiment(tmp_path, "typo.toml").read_text().replace("replicates", "replicatse")
    (tmp_path / "typo.toml").write_text(typo)
    bad_key = experiment(
        tmp_path, "badkey.toml", params='[parameters."mediators.USA.arival_hour"]\nlevels = [0, 1]\n'
    )
    bad_range = experiment(
        tmp_path, "range.toml", params='[parameters."mediators.USA.leverage"]\nlevels = [0.5, 3]\n'
    )
    unknown_id = experiment(
        tmp_path, "id.toml", params='[parameters."mediators.USAA.arrival_hour"]\nlevels = [0, 1]\n'
    )
    whole = experiment(
        tmp_path,
        "whole.toml",
        design='kind = "lhs"',
        params="[parameters.horizon_hours]\nmin = 24\nmax = 48\n",
    )
    empty = experiment(
        tmp_path, "empty.toml", params='[parameters."mediators.USA.arrival_hour"]\nlevels = []\n'
    )
    for path, needle in (
        (tmp_path / "typo.toml", "replicatse"),
        (whole, "add `integer = true`"),
        (empty, "parameters.mediators.USA.arrival_hour.levels"),
        (unknown_id, "no mediators entry `USAA`"),
        (bad_range, "range.toml: parameters.mediators.USA.leverage at 3"),
        (bad_key, "mediators.USA.arival_hour"),
        (bad_range, "mediators.USA.leverage"),
        (tmp_path / "absent.toml", "no such experiment file"),
    ):
        proc = subprocess.run(
            [*exe, "sweep", path, "--out", tmp_path / "never"], capture_output=True, text=True
        )
        assert proc.returncode == 2 and needle in proc.stderr and "Traceback" not in proc.stderr
        assert not (tmp_path / "never").exists()


def test_bad_plot_sensitivity_and_compare_arguments_give_clear_errors(tmp_path):
    exe = [str(Path(sys.executable).with_name("escsim"))]
    (tmp_path / "empty").mkdir()
    sweep(experiment(tmp_path, replicates=1), tmp_path / "out", InProcess())
    (tmp_path / "unfinished" / "outcomes").mkdir(parents=True)
    (tmp_path / "unfinished" / "manifest.json").write_text((tmp_path / "out" / "manifest.json").read_text())
    for args, needle in (
        (["plot", tmp_path / "empty"], "no manifest.json"),
        (["plot", tmp_path / "unfinished"], "no finished runs yet"),
        (["plot", tmp_path / "out", "--outcome", "ceasefire_broker"], "not a numeric or yes/no outcome"),
        (["plot", tmp_path / "out", "--heatmap", "fighting_hourz"], "fighting_hourz"),
        (["plot", tmp_path / "out", "--x", "seed"], "--x/--y seed: not a parameter"),
        (["compare", BASELINE, "--runs", "5"], "at least one what-if"),
    ):
        proc = subprocess.run([*exe, *args], capture_output=True, text=True)
        assert proc.returncode == 2 and needle in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not (tmp_path / "out" / "plots").exists()  # refused before anything was drawn


@pytest.mark.parametrize(
    ("design", "expected"),
    [
        ('kind = "grid"', 9),
        ('kind = "lhs"\npoints = 7', 7),
        ('kind = "sobol"\npoints = 8', 8),
        ('kind = "halton"\npoints = 5', 5),
        ('kind = "saltelli"\npoints = 4', 4 * (2 + 2)),
        ('kind = "morris"\npoints = 3', 3 * (2 + 1)),
    ],
)
def test_designs_have_the_right_size_stay_in_bounds_and_are_seeded(tmp_path, design, expected):
    from sim.experiments.design import design_points, load_experiment

    if "grid" in design:
        params = (
            '[parameters."mediators.USA.arrival_hour"]\nlevels = [0, 12, 36]\n'
            '[parameters."states.AZE.stake"]\nlevels = [2.0, 3.0, 4.0]\n'
        )
    else:
        params = (
            '[parameters."mediators.USA.arrival_hour"]\nmin = 0\nmax = 48\ninteger = true\n'
            '[parameters."states.AZE.stake"]\nmin = 2.0\nmax = 4.0\n'
        )
    exp, _, _ = load_experiment(experiment(tmp_path, design=design, params=params))
    points = design_points(exp)
    assert len(points) == expected
    assert all(0 <= p["mediators.USA.arrival_hour"] <= 48 for p in points)
    assert all(isinstance(p["mediators.USA.arrival_hour"], int) for p in points)
    assert all(2.0 <= p["states.AZE.stake"] <= 4.0 for p in points)
    assert design_points(exp) == points  # the experiment seed fixes the design


def test_morris_indices(tmp_path):
    from sim.analysis.sensitivity import indices, load_sweep

    params = (
        '[parameters."mediators.USA.leverage"]\nmin = 0.1\nmax = 0.7\n'
        '[parameters."states.AZE.stake"]\nmin = 2.0\nmax = 4.0\n'
    )
    exp = experiment(tmp_path, replicates=1, design='kind = "morris"\npoints = 4', params=params)
    sweep(exp, tmp_path / "m", InProcess())
    spec, scenario, frame = load_sweep(tmp_path / "m")
    table = indices(spec, scenario, frame, ["fighting_hours", "ceasefire_hour"])
    assert list(table.parameter) == ["mediators.USA.leverage", "states.AZE.stake"] * 2
    assert (table.mu_star >= 0).all() and table.mu_star_conf.notna().all()
