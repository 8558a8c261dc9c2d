"""Writing results atomically: a file or a whole folder is written under a temporary name and
renamed into place, so an interrupted run leaves nothing half-written."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.outcomes import describe_columns, outcome_columns, write_parquet
from sim.scenario.loading import scenario_hash
from sim.scenario.schema import Scenario

PACKAGES = (
    "escalation-sim",
    "mesa",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "matplotlib",
    "networkx",
    "pydantic",
)


@contextlib.contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``target``, on failure it vanishes."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
        tmp.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(target)


def atomic_file(path: Path, write: Callable[[Path], object]) -> None:
    """``write(tmp)`` to a hidden sibling, flush it to disk, then rename it to ``path``: a reader, or
    a resumed sweep, sees the whole file or none of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_tables(folder: Path, outcomes: pd.DataFrame, series: pd.DataFrame | None) -> None:
    write_parquet(outcomes, folder / "outcomes.parquet")
    outcomes.to_csv(folder / "outcomes.csv", index=False)
    if series is not None:
        series.to_parquet(folder / "timeseries.parquet", index=False)


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            out[name] = importlib.metadata.version(name)
    return out


def git_commit() -> str | None:
    try:
        root = Path(__file__).resolve().parent.parent
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "sim", "scenarios"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def provenance(scenario: Scenario, scenario_path: str | Path, started: str) -> dict[str, Any]:
    """What every manifest records: the resolved scenario and its hash, versions, commit, host."""
    return {
        "scenario_path": str(scenario_path),
        "scenario_hash": scenario_hash(scenario),
        "scenario": scenario.model_dump(mode="json"),
        "versions": versions(),
        "git_commit": git_commit(),
        "host": platform.node(),
        "started": started,
        "finished": now(),
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB. Linux's ``VmHWM`` starts afresh at exec, whereas
    ``ru_maxrss`` carries over the peak of whatever process forked this one."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB elsewhere


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def manifest(
    scenario: Scenario,
    scenario_path: str,
    overrides: dict[str, Any],
    seed: int,
    runs: int,
    workers: int,
    started: str,
) -> dict[str, Any]:
    """The manifest of an ensemble (``escsim run``)."""
    return {
        **provenance(scenario, scenario_path, started),
        "overrides": overrides,
        "seed": seed,
        "runs": runs,
        "workers": workers,
        "seeding": "run seed = SeedSequence(seed, spawn_key=(run_id,)), see sim.experiments.runner.run_seed",
        "columns": describe_columns(["run_id", "seed", *overrides, *outcome_columns(scenario)]),
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    atomic_file(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
