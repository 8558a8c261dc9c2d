"""End-to-end tests of the `escsim` command line, run as a user would run it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim import load_scenario
from sim.analysis.outcomes import outcome_columns
from sim.experiments.results import load_outcomes

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "sept2022.toml"
SHORT = ["--set", "horizon_hours=60"]


def escsim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("escsim")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "sim.cli"]
    return subprocess.run([*cmd, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


def assert_clean_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


def test_validate_accepts_every_shipped_scenario():
    for path in sorted((ROOT / "scenarios").rglob("*.toml")):
        if path.name == "behaviour.toml":  # shared parameters, not a scenario: see test_crises.py
            continue
        proc = escsim("validate", path)
        assert proc.returncode == 0, proc.stderr
        assert "valid" in proc.stdout


@pytest.fixture
def broken(tmp_path: Path):
    """Write a what-if next to a copy of the baseline, with the given extra TOML."""
    shutil.copy(BASELINE, tmp_path / "sept2022.toml")
    shutil.copy(BASELINE.with_name("behaviour.toml"), tmp_path / "behaviour.toml")  # what it extends

    def write(extra: str) -> Path:
        path = tmp_path / "broken.toml"
        path.write_text(f'extends = "sept2022.toml"\n{extra}\n', encoding="utf-8")
        return path

    return write


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        ("[states.AZE]\nforcse = 3", ["broken.toml", "states.AZE.forcse", "unknown key"]),
        ('[states.AZE]\nforces = "many"', ["states.AZE.forces", "number"]),
        ("[alliances.CSTO]\nhonour_prior = 1.5", ["alliances.CSTO.honour_prior", "1"]),
        ('[events.offensive]\nactor = "TUR"', ["events.offensive.actor", "TUR", "AZE"]),
        ('[sectors.SOTK]\nowner = "XYZ"', ["sectors.SOTK.owner", "XYZ"]),
        ('extends = "nowhere.toml"', ["nowhere.toml"]),
    ],
)
def test_bad_scenarios_give_one_clear_error(broken, extra, needles):
    path = broken(extra) if not extra.startswith("extends") else None
    if path is None:
        path = broken("")
        path.write_text('extends = "nowhere.toml"\n', encoding="utf-8")
    proc = escsim("validate", path)
    assert_clean_error(proc, *needles)


def test_missing_file_and_bad_overrides(tmp_path):
    assert_clean_error(escsim("validate", tmp_path / "absent.toml"), "absent.toml", "no such scenario file")
    assert_clean_error(
        escsim("validate", BASELINE, "--set", "mediators.USA.arival_hour=3"),
        "mediators.USA.arival_hour",
        "unknown key",
    )
    assert_clean_error(
        escsim("validate", BASELINE, "--set", "mediators.USA.leverage=2"), "mediators.USA.leverage"
    )
    assert_clean_error(escsim("validate", BASELINE, "--set", "no_equals_sign"), "KEY.PATH=VALUE")
    assert_clean_error(
        escsim("validate", BASELINE, "--set", "states.ARN.stake=2"), "no states entry `ARN`", "AZE, ARM"
    )


def test_a_failed_run_writes_nothing(tmp_path):
    out = tmp_path / "out"
    proc = escsim("run", BASELINE, "--runs", "2", "--out", out, "--set", "states.ARM.stake=-1")
    assert_clean_error(proc, "states.ARM.stake")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_run_writes_the_outcome_contract_plots_and_manifest(tmp_path):
    out = tmp_path / "res"
    proc = escsim(
        "run",
        BASELINE,
        "--runs",
        "6",
        "--seed",
        "4",
        "--workers",
        "1",
        "--out",
        out,
        "--quiet",
        *SHORT,
        "--set",
        "mediators.USA.arrival_hour=12",
    )
    assert proc.returncode == 0, proc.stderr
    assert "military_deaths.ARM" in proc.stdout and "reported" in proc.stdout
    assert re.search(r"^full_war +\d+\.\d% of runs", proc.stdout, re.M)  # a yes/no outcome, as a share
    scenario = load_scenario(BASELINE, {"horizon_hours": 60})
    frame = pd.read_parquet(out / "outcomes")  # as any Parquet reader sees it, without the project
    params = ["horizon_hours", "mediators.USA.arrival_hour"]
    expected = ["run_id", "point", "replicate", *params, "seed", *outcome_columns(scenario), "error"]
    assert list(frame.columns) == expected
    assert len(frame) == 6 and sorted(frame.run_id) == [f"0-{i}" for i in range(6)]
    assert frame["error"].isna().all() and (frame["mediators.USA.arrival_hour"] == 12).all()
    series = pd.read_parquet(out / "series")
    assert len(series) == 6 * 60 and {"run_id", "hour", "rung.AZE", "intensity"} <= set(series)
    for name in ("outcomes", "rungs", "deaths"):
        for ext in ("png", "svg"):
            assert (out / "plots" / f"{name}.{ext}").stat().st_size > 1000
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 4 and manifest["runs"] == 6 and manifest["command"] == "run"
    assert manifest["overrides"] == {"horizon_hours": 60, "mediators.USA.arrival_hour": 12}
    assert len(manifest["scenario_hash"]) == 16 and "mesa" in manifest["versions"]
    assert (out / "summary.txt").read_text().startswith(scenario.title)
    assert not [p for p in out.rglob("*") if p.name.endswith(".escsim-tmp")]  # no temp files left


def test_same_seed_same_rows_on_any_worker_count(tmp_path):
    frames = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        proc = escsim(
            "run",
            BASELINE,
            "--runs",
            "8",
            "--seed",
            "9",
            "--workers",
            workers,
            "--out",
            out,
            "--quiet",
            *SHORT,
        )
        assert proc.returncode == 0, proc.stderr
        frames.append(load_outcomes(out))
    pd.testing.assert_frame_equal(frames[0], frames[1])


def test_narrate_prints_a_dated_timeline():
    proc = escsim("narrate", BASELINE, "--seed", "2", *SHORT)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.startswith("13 Sep 00:05  Azerbaijan strikes deep inside Armenia") for line in lines)
    assert any(re.search(r"strikes deep inside Armenia \d+ times? in \d+ hours? \(", line) for line in lines)
    assert any("CSTO" in line for line in lines)
    assert "Outcome:" in proc.stdout


def test_usage_errors_exit_2_without_traceback():
    for args in (["run", BASELINE, "--runs", "0"], ["run", BASELINE, "--seed", "x"], ["frobnicate"]):
        proc = escsim(*args)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_ablate_prints_one_row_per_mechanism_and_writes_the_table(tmp_path):
    out = tmp_path / "ablate"
    args = ("ablate", BASELINE, "--runs", "4", "--seed", "2", "--workers", "1", "--out", out, *SHORT)
    proc = escsim(*args)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("| mechanism off | fighting_hours")
    names = ("learning", "bargaining", "agreements", "breakdown", "alliances", "deep_strikes", "formulation")
    for name in names:
        assert any(line.startswith(f"| {name} | ") for line in lines), name
    assert "4 paired runs per mechanism, seed 2" in proc.stdout
    table = pd.read_csv(out / "ablation.csv")
    assert {"learning", "formulation"} <= set(table.mechanism_off)
    assert (out / "ablation.md").read_text().splitlines()[0] == lines[0]
    assert json.loads((out / "manifest.json").read_text())["runs"] == 4
    (out / "mine.txt").write_text("not escsim's")
    again = escsim(*args)
    assert again.returncode == 2 and "mine.txt" in again.stderr and "Traceback" not in again.stderr
