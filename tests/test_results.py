"""Results folders: nothing lost or overwritten, one layout for every command, checks, resume after
damage, clean-up on signals, and no worker outliving its driver."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sim.experiments.results
from sim.experiments.engines import InProcess
from sim.experiments.results import ResultsError, check, default_folder, load_outcomes, load_series
from sim.experiments.storage import CALIBRATION_CODE, model_code, row_code_digest
from sim.experiments.sweep import sweep

ROOT = Path(__file__).resolve().parent.parent
BASELINE = (ROOT / "scenarios" / "sept2022.toml").as_posix()
SHORT = ["--set", "horizon_hours=48"]


def escsim(*args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("escsim")
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600)


def refused(proc: subprocess.CompletedProcess, *needles: str) -> None:
    """Exit 2, one error line (beside scenario warnings), no traceback."""
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("escsim: warning:")]
    assert "Traceback" not in proc.stderr and len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def experiment(
    tmp_path: Path, name: str = "t", *, levels: str = "[0, 12, 36]", file: str = "exp.toml"
) -> Path:
    path = tmp_path / file
    path.write_text(
        f'name = "{name}"\nscenario = "{BASELINE}"\nreplicates = 3\nseed = 5\nseries = true\n'
        f"[overrides]\nhorizon_hours = 48\n"
        f'[parameters."mediators.USA.arrival_hour"]\nlevels = {levels}\n',
        encoding="utf-8",
    )
    return path


# --- nothing is lost ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_folder_holding_other_files_is_refused_untouched(tmp_path, command):
    out = tmp_path / "d"
    out.mkdir()
    (out / "f").write_text("x")
    (out / ".hidden").write_text("y")
    before = sorted(p.name for p in out.iterdir())
    whatif = ROOT / "scenarios" / "whatif" / "envoy_late.toml"
    targets = [BASELINE] if command == "run" else [BASELINE, whatif]
    proc = escsim(command, *targets, "--runs", "3", "--workers", "1", "--out", out, "--quiet", *SHORT)
    refused(proc, f"--out {out}: holds files escsim did not write")
    assert sorted(p.name for p in out.iterdir()) == before
    assert (out / "f").read_text() == "x"
    proc = escsim(command, *targets, "--runs", "3", "--out", out, "--overwrite", "--quiet", *SHORT)
    refused(proc, "escsim did not write")  # --overwrite replaces escsim's files only
    assert sorted(p.name for p in out.iterdir()) == before


def test_out_dot_is_refused_without_a_trace(tmp_path):
    (tmp_path / "mine.txt").write_text("x")
    proc = escsim("run", BASELINE, "--runs", "2", "--out", ".", "--quiet", *SHORT, cwd=tmp_path)
    refused(proc, "--out .: holds files escsim did not write (mine.txt)")
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_a_run_resumes_grows_refuses_to_shrink_and_overwrites_only_its_own_files(tmp_path):
    out = tmp_path / "r"
    args = ["run", BASELINE, "--workers", "1", "--out", out, "--quiet", *SHORT]
    assert escsim(*args, "--runs", "4").returncode == 0
    first = load_outcomes(out)
    refused(escsim(*args, "--runs", "2"), "holds 4 runs, 2 asked for", "--overwrite")
    grown = escsim(*args, "--runs", "6")
    assert grown.returncode == 0 and "(4 already done, 2 run now)" in grown.stdout
    pd.testing.assert_frame_equal(load_outcomes(out).head(4), first)
    (out / "notes.txt").write_text("mine")
    (out / "plots" / "mine.png").write_bytes(b"png")
    other = ["run", BASELINE, "--workers", "1", "--out", out, "--quiet", "--set", "horizon_hours=30"]
    refused(escsim(*other, "--runs", "3"), "holds runs of another scenario, overrides or seed")
    replaced = escsim(*other, "--runs", "3", "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    assert (out / "notes.txt").read_text() == "mine" and (out / "plots" / "mine.png").read_bytes() == b"png"
    rows = load_outcomes(out)
    assert len(rows) == 3 and (rows["horizon_hours"] == 30).all()
    assert check(out)[0] == []


def test_runs_made_by_other_model_code_are_refused_untouched_other_packages_noted(tmp_path):
    out = tmp_path / "r"
    args = ["run", BASELINE, "--workers", "1", "--out", out, "--quiet", "--runs", "3", *SHORT]
    assert escsim(*args).returncode == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model_code"] == model_code()
    manifest["model_code"] = "0" * 64  # as if the model had changed since these runs
    (out / "manifest.json").write_text(json.dumps(manifest))
    before = snapshot(out)
    refused(
        escsim(*args, "--runs", "4"), "made by other model code (sim/ sources 000000000000", "--overwrite"
    )
    assert snapshot(out) == before
    assert escsim(*args, "--overwrite").returncode == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model_code"] == model_code()
    manifest["sessions"][-1]["versions"]["numpy"] = "0.0"  # same model, other packages: resumed, noted
    (out / "manifest.json").write_text(json.dumps(manifest))
    resumed = escsim(*args, "--runs", "4")
    assert resumed.returncode == 0 and len(load_outcomes(out)) == 4
    assert "were made with other package versions: numpy 0.0 →" in resumed.stderr + resumed.stdout
    del manifest["model_code"]  # a folder from before the digest, made at another commit
    manifest["git_commit"] = "deadbeef"
    (out / "manifest.json").write_text(json.dumps(manifest))
    refused(escsim(*args, "--runs", "5"), "made before escsim recorded its model code (git commit deadbeef)")


def test_the_model_code_digest_follows_the_model_not_the_page(tmp_path):
    copy = tmp_path / "sim"
    shutil.copytree(ROOT / "sim", copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert row_code_digest(copy) == model_code()
    (copy / "viz" / "app.py").write_text("# the page changed\n", encoding="utf-8")
    assert row_code_digest(copy) == model_code()
    (copy / "model" / ".#combat.py").symlink_to(tmp_path / "an editor's lock, dangling")
    assert row_code_digest(copy) == model_code()
    summaries = copy / "calibration" / "summaries.py"  # makes a calibration's generations, not rows
    summaries.write_text(summaries.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert row_code_digest(copy) == model_code()
    assert row_code_digest(copy, CALIBRATION_CODE) != model_code(CALIBRATION_CODE)
    combat = copy / "model" / "combat.py"
    combat.write_text(combat.read_text(encoding="utf-8") + "\n# a model change\n", encoding="utf-8")
    assert row_code_digest(copy) != model_code()


def test_default_folders_differ_by_scenario_overrides_and_seed(tmp_path):
    runs = ["--runs", "2", "--workers", "1", "--quiet"]
    for extra in ([], ["--set", "mediators.USA.arrival_hour=24"], [*SHORT, "--seed", "3"]):
        proc = escsim("run", BASELINE, *runs, *extra, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == [
        "sept2022",
        "sept2022+horizon_hours=48+seed=3",
        "sept2022+mediators.USA.arrival_hour=24",
    ]
    manifest = json.loads(
        (tmp_path / "results" / "sept2022+horizon_hours=48+seed=3" / "manifest.json").read_text()
    )
    assert manifest["overrides"] == {"horizon_hours": 48} and manifest["seed"] == 3
    assert len(load_outcomes(tmp_path / "results" / "sept2022")) == 2  # the baseline's own runs


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_baseline_with_fewer_runs_does_not_replace_the_baseline(tmp_path):
    out = tmp_path / "baseline"
    make = ["make", "-s", "-C", str(ROOT), "baseline", f"OUT={out}"]
    assert subprocess.run([*make, "RUNS=4"], capture_output=True, timeout=600).returncode == 0
    before = snapshot(out)
    small = subprocess.run([*make, "RUNS=2"], capture_output=True, text=True, timeout=600)
    assert small.returncode != 0 and "holds 4 runs, 2 asked for" in small.stderr, small.stderr
    assert snapshot(out) == before
    replaced = subprocess.run([*make, "RUNS=2", "OVERWRITE=1"], capture_output=True, timeout=600)
    assert replaced.returncode == 0 and len(load_outcomes(out)) == 2


@given(st.text(max_size=300))
def test_a_default_folder_never_leaves_results(name):
    try:
        folder = default_folder(name, {"a.b": "../../etc", "c": 1}, 2)
    except ResultsError:
        return
    assert folder.parent == Path("results") and len(folder.name) <= 120 and ".." not in folder.name


def test_an_experiment_name_cannot_leave_results(tmp_path):
    exp = experiment(tmp_path, name="../../x")
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    refused(escsim("sweep", exp, "--workers", "1", "--quiet", cwd=work), "name '../../x'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "exp.toml"]
    assert list(work.iterdir()) == []


def test_a_300_character_scenario_name_gets_a_short_folder_before_any_run(tmp_path):
    (tmp_path / "long.toml").write_text(f'extends = "{BASELINE}"\nname = "{"a" * 300}"\n', encoding="utf-8")
    proc = escsim(
        "run", tmp_path / "long.toml", "--runs", "2", "--workers", "1", "--quiet", *SHORT, cwd=tmp_path
    )
    assert "Traceback" not in proc.stderr
    if proc.returncode == 2:  # a name-length limit in the scenario schema: refused before any run
        assert not (tmp_path / "results").exists()
        return
    assert proc.returncode == 0, proc.stderr
    (folder,) = (tmp_path / "results").iterdir()
    assert len(folder.name) <= 120 and len(load_outcomes(folder)) == 2


def test_an_unwritable_out_fails_before_any_run(tmp_path):
    (tmp_path / "file").write_text("x")
    refused(escsim("run", BASELINE, "--runs", "2", "--out", tmp_path / "file", "--quiet"), "not a folder")
    refused(
        escsim("run", BASELINE, "--runs", "2", "--out", tmp_path / "file" / "sub", "--quiet"), "cannot write"
    )
    refused(
        escsim("run", BASELINE, "--runs", "2", "--out", tmp_path / ("x" * 300), "--quiet"), "cannot write"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_a_failed_summary_says_where_the_computed_runs_are(tmp_path):
    out = tmp_path / "r"
    args = ["run", BASELINE, "--workers", "1", "--out", out, "--quiet", *SHORT]
    assert escsim(*args, "--runs", "2").returncode == 0
    shutil.rmtree(out / "plots")
    (out / "plots").write_text("in the way")  # drawing the plots will fail after the runs
    proc = escsim(*args, "--runs", "4")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"all 4 runs are in {out}/outcomes: run the same command to finish" in proc.stderr
    assert len(load_outcomes(out)) == 4  # nothing computed was lost
    (out / "plots").unlink()
    again = escsim(*args, "--runs", "4")
    assert again.returncode == 0 and "(4 already done, 0 run now)" in again.stdout
    assert (out / "plots" / "outcomes.png").is_file()


def test_a_sweep_keeps_foreign_temp_files_and_another_experiments_files(tmp_path):
    out = tmp_path / "out"
    sweep(experiment(tmp_path), out, InProcess())
    (out / ".notes.tmp").write_text("mine")
    (out / ".x.12345.tmp").write_text("mine too")
    assert escsim("sweep", experiment(tmp_path), "--workers", "1", "--out", out, "--quiet").returncode == 0
    assert (out / ".notes.tmp").read_text() == "mine" and (out / ".x.12345.tmp").read_text() == "mine too"
    before = snapshot(out)
    other = experiment(tmp_path, levels="[0, 24]", file="other.toml")
    refused(escsim("sweep", other, "--workers", "1", "--out", out, "--quiet"), "holds a different experiment")
    assert snapshot(out) == before


# --- one layout --------------------------------------------------------------------------------


def test_run_compare_and_sweep_write_one_layout_and_one_manifest(tmp_path):
    whatif = ROOT / "scenarios" / "whatif" / "envoy_late.toml"
    common = ["--workers", "1", "--quiet", *SHORT]
    assert escsim("run", BASELINE, "--runs", "3", "--out", tmp_path / "run", *common).returncode == 0
    proc = escsim("compare", BASELINE, whatif, "--runs", "3", "--out", tmp_path / "cmp", *common)
    assert proc.returncode == 0, proc.stderr
    assert escsim("sweep", experiment(tmp_path), "--out", tmp_path / "sw", "--workers", "1").returncode == 0
    manifests = {k: json.loads((tmp_path / k / "manifest.json").read_text()) for k in ("run", "cmp", "sw")}
    assert len({tuple(m) for m in manifests.values()}) == 1  # the same keys, from one builder
    assert [m["command"] for m in manifests.values()] == ["run", "compare", "sweep"]
    for name, m in manifests.items():
        folder = tmp_path / name
        assert (folder / "points.parquet").is_file() and list((folder / "outcomes").glob("part-*.parquet"))
        assert m["counts"]["done"] == m["counts"]["runs"] == len(load_outcomes(folder))
        assert all(list(folder.glob(pattern)) for pattern in m["files"])  # every file it owns is there
        ok = escsim("check", folder)
        assert ok.returncode == 0 and ok.stdout.strip().endswith(": ok"), ok.stdout
    points = pd.read_parquet(tmp_path / "cmp" / "points.parquet")
    assert points["scenario"].tolist() == ["sept2022", "envoy_late"]
    rows = load_outcomes(tmp_path / "cmp")
    base, late = (rows[rows["point"] == p] for p in (0, 1))
    assert base["seed"].tolist() == late["seed"].tolist()  # paired by seed
    assert {"comparison.csv", "comparison.txt", "comparison.png"} <= set(manifests["cmp"]["files"])
    assert "summary.txt" in manifests["run"]["files"] and "experiment.toml" in manifests["sw"]["files"]


def test_run_rows_equal_the_library_ensemble(tmp_path):
    import sim

    assert (
        escsim(
            "run", BASELINE, "--runs", "5", "--seed", "7", "--out", tmp_path / "r", "--quiet", *SHORT
        ).returncode
        == 0
    )
    rows = load_outcomes(tmp_path / "r")
    frame = sim.run_ensemble(sim.load_scenario(BASELINE, ["horizon_hours=48"]), runs=5, seed=7)
    assert rows["seed"].tolist() == frame["seed"].tolist()
    assert rows["fighting_hours"].tolist() == frame["fighting_hours"].tolist()


# --- check and resume after damage -------------------------------------------------------------


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """An uninterrupted sweep, three shards of three runs."""
    tmp = tmp_path_factory.mktemp("whole")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sim.experiments.results, "BATCH", 3)
        sweep(experiment(tmp), tmp / "out", InProcess())
    return tmp / "out"


def _copy_shard(out: Path) -> None:
    shutil.copy(out / "outcomes" / "part-000001.parquet", out / "outcomes" / "part-000007.parquet")


def _copy_with_stray_name(out: Path) -> None:
    shutil.copy(out / "outcomes" / "part-000001.parquet", out / "outcomes" / "part-000001 (copy).parquet")


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


DAMAGE = {
    "copied shard": (_copy_shard, "part-000007.parquet: repeats runs of part-000001"),
    "stray copy": (_copy_with_stray_name, "not a shard of this folder"),
    "truncated outcomes": (lambda out: _truncate(out / "outcomes" / "part-000001.parquet"), "unreadable"),
    "truncated series": (
        lambda out: _truncate(out / "series" / "part-000002.parquet"),
        "series shard is unreadable",
    ),
    "series without outcomes": (
        lambda out: (out / "outcomes" / "part-000000.parquet").unlink(),
        "without its outcomes",
    ),
    "a shard of another seed": (None, "seeds differ"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damage_is_found_moved_aside_and_redone_to_the_uninterrupted_rows(tmp_path, whole, damage):
    out = tmp_path / "out"
    shutil.copytree(whole, out)
    harm, needle = DAMAGE[damage]
    if harm is None:  # a shard from a sweep with another seed, under this folder's name
        other = tmp_path / "exp.toml"
        other.write_text(experiment(tmp_path).read_text().replace("seed = 5", "seed = 6"))
        sweep(other, tmp_path / "other", InProcess())
        shutil.copy(
            tmp_path / "other" / "outcomes" / "part-000000.parquet", out / "outcomes" / "part-000001.parquet"
        )
    else:
        harm(out)
    found = escsim("check", out)
    assert found.returncode == 1 and needle in found.stdout, found.stdout
    resumed = escsim("sweep", experiment(tmp_path), "--workers", "1", "--out", out, "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert "to quarantine/" in resumed.stderr and "Traceback" not in resumed.stderr
    pd.testing.assert_frame_equal(load_outcomes(out), load_outcomes(whole))
    series, expected = (
        load_series(f).sort_values(["run_id", "hour"], ignore_index=True) for f in (out, whole)
    )
    pd.testing.assert_frame_equal(series, expected)
    assert list((out / "quarantine").iterdir())  # moved aside, not deleted
    assert check(out)[0] == []


@pytest.mark.parametrize("manifest", ["deleted", "garbled"])
def test_a_lost_manifest_does_not_strand_the_folder(tmp_path, whole, manifest):
    out = tmp_path / "out"
    shutil.copytree(whole, out)
    if manifest == "deleted":
        (out / "manifest.json").unlink()
        assert escsim("check", out).returncode == 1
    else:
        (out / "manifest.json").write_text("{not json")
    resumed = escsim("sweep", experiment(tmp_path), "--workers", "1", "--out", out, "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert "(9 already done, 0 run now)" in resumed.stdout
    pd.testing.assert_frame_equal(load_outcomes(out), load_outcomes(whole))
    assert check(out)[0] == []


def test_check_usage_and_unfinished(tmp_path, whole):
    refused(escsim("check", tmp_path / "absent"), "no such folder")
    out = tmp_path / "out"
    shutil.copytree(whole, out)
    data = json.loads((out / "manifest.json").read_text())
    data["finished"] = None
    (out / "manifest.json").write_text(json.dumps(data))
    (out / "outcomes" / "part-000002.parquet").unlink()
    (out / "series" / "part-000002.parquet").unlink()
    proc = escsim("check", out)
    assert proc.returncode == 1 and "unfinished: 6 of 9 runs on disk" in proc.stdout


# --- signals and workers -----------------------------------------------------------------------


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _sweep_until_shards(tmp_path: Path, workers: str, shards: int) -> tuple[subprocess.Popen, Path]:
    exp = tmp_path / "big.toml"
    exp.write_text(experiment(tmp_path).read_text().replace("replicates = 3", "replicates = 200"))
    out = tmp_path / "out"
    cmd = [
        str(Path(sys.executable).with_name("escsim")),
        "sweep",
        exp,
        "--workers",
        workers,
        "--out",
        out,
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list((out / "outcomes").glob("part-*.parquet"))) >= shards:
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read()
    return proc, out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_no_worker_outlives_a_killed_driver(tmp_path):
    proc, _ = _sweep_until_shards(tmp_path, "2", 1)
    family = _descendants(proc.pid)
    assert len(family) >= 3  # forkserver and two workers at least
    os.kill(proc.pid, signal.SIGKILL)  # the driver alone: no clean-up runs in it
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_running(p) for p in family):
        time.sleep(0.1)
    assert not [p for p in family if _running(p)]


def test_sigterm_leaves_no_temp_files_and_says_where_the_runs_are(tmp_path):
    proc, out = _sweep_until_shards(tmp_path, "1", 2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "run the same command again to resume" in err, err
    assert not [p for p in out.rglob("*") if p.name.endswith(".escsim-tmp")]
    assert check(out)[0] == [
        f"unfinished: {len(load_outcomes(out))} of 600 runs on disk; run the same command again to resume"
    ]
