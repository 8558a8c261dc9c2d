"""Writing results atomically (a file is written under a temporary name and renamed into place, so
an interrupted run leaves nothing half-written) and what every manifest records about provenance."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
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

from sim.scenario.loading import ScenarioError, scenario_hash
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

# The code whose changes change a run's rows: the model, how scenarios are read, the parameters a
# run draws from a posterior, how a finished model becomes a row (any edit to them, comments
# included). Plots, the command line, the page and the docs may change under resumed runs.
ROW_CODE = ("model", "scenario", "calibration/posterior.py", "analysis/outcomes.py", "experiments/runner.py")
# ... and a calibration's generations: also its summaries, sampler and observations.
CALIBRATION_CODE = (*ROW_CODE, "calibration", "analysis/observed.py")

TMP_SUFFIX = ".escsim-tmp"


def temp_name(path: Path) -> Path:
    """A hidden sibling of ``path`` that names the writing process: a resumed run can tell its own
    leftovers (from a ``kill -9``) from anyone else's ``.*.tmp`` files."""
    return path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")


def refuse_foreign(target: Path, owned: Callable[[Path], bool]) -> None:
    """Raise if ``target`` exists and holds a file ``owned`` does not accept (its relative path):
    checked before any work, so that a long computation does not end in a refusal."""
    if not target.exists():
        return
    files = [target]
    if target.is_dir():
        files = [p.relative_to(target) for p in target.rglob("*") if not p.is_dir()]
    foreign = [str(p) for p in files if not owned(p)]
    if not target.is_dir():
        raise ScenarioError(f"--out {target}: is a file, not a folder; choose a new --out")
    if foreign:
        raise ScenarioError(
            f"--out {target}: holds files escsim did not write ({', '.join(foreign[:3])}); choose a new --out"
        )


@contextlib.contextmanager
def atomic_folder(target: Path, owned: Callable[[Path], bool] = lambda _p: False) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``target`` on success and vanishes on failure (used by
    ``escsim score``; run, sweep and compare write through ``sim.experiments.results``). An existing
    ``target`` is replaced only if ``owned(path)`` holds for every file in it (its relative path):
    a folder holding anything else is refused before anything is written."""
    target = Path(target)
    refuse_foreign(target, owned)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=TMP_SUFFIX, dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if target.exists():
        old = temp_name(target)
        target.rename(old)
        tmp.rename(target)
        shutil.rmtree(old)  # only files ``owned`` accepted
    else:
        tmp.rename(target)


def atomic_file(path: Path, write: Callable[[Path], object]) -> None:
    """``write(tmp)`` to a hidden sibling, flush it to disk, then rename it to ``path``: a reader, or
    a resumed sweep, sees the whole file or none of it. The temporary file goes on any failure,
    Ctrl-C or SIGTERM (which ``escsim`` turns into an exception)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@functools.cache  # looked up once per command, however many manifests it writes
def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            out[name] = importlib.metadata.version(name)
    return out


def row_code_digest(package: Path, parts: tuple[str, ...] = ROW_CODE) -> str:
    """sha256 of the sources under ``package`` (the ``sim`` folder) named by ``parts``: two results
    made with the same digest come from the same model, committed or not. Hidden files (an editor's
    locks) and anything that is not a file are left out."""
    digest = hashlib.sha256()
    for part in dict.fromkeys(parts):
        root = package / part
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            if path.is_file() and not path.name.startswith("."):
                digest.update(
                    path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0"
                )
    return digest.hexdigest()


@functools.cache
def model_code(parts: tuple[str, ...] = ROW_CODE) -> str:
    """This installation's ``row_code_digest``: what a resumed folder or calibration must match."""
    return row_code_digest(Path(__file__).resolve().parent.parent, parts)


def made_by_other_code(recorded: dict, parts: tuple[str, ...] = ROW_CODE, what: str = "runs") -> str | None:
    """Why the ``what`` that ``recorded`` (a manifest or a calibration's stamp) describes may not be
    resumed by this code (None: they may). Before the digest was recorded, a clean commit equal to
    this one stands for it."""
    made, now_ = recorded.get("model_code"), model_code(parts)
    if made is None:
        commit = recorded.get("git_commit")
        if commit is not None and commit == git_commit() and not commit.endswith("+dirty"):
            return None
        return (
            f"holds {what} made before escsim recorded its model code (git commit {commit or 'unknown'}): "
            "resumed, its rows might mix two models"
        )
    if made != now_:
        return (
            f"holds {what} made by other model code (sim/ sources {made[:12]}, this code {now_[:12]}): "
            "resumed, its rows would mix two models"
        )
    return None


@functools.cache
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
        "model_code": model_code(),
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


def write_json(path: Path, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    atomic_file(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
