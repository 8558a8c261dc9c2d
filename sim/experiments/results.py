"""Results folders: one layout for ``escsim run``, ``sweep`` and ``compare``, written by one function.

A results folder holds a *plan*: points (a scenario, overrides and the columns that name the point),
each run ``replicates`` times from a seed. ``escsim run`` is a one-point plan, ``compare`` one point
per scenario, ``sweep`` one point per design point. Every folder looks alike::

    manifest.json             what was run (plan, scenarios and hashes, seeding, counts), every
                              session that wrote to it (start, end, host, engine, code), the files
                              the command owns
    points.parquet            one row per point: its id and its columns (parameters, scenario name)
    experiment.toml           the experiment file as run (sweeps)
    outcomes/part-*.parquet   outcome rows (run_id, point, replicate, seed, point columns, outcomes, error)
    series/part-*.parquet     hourly series per run, if the plan keeps them
    quarantine/               shards that failed the check, moved aside (never deleted)

plus what the command derives from the rows (a run's summary and plots, a comparison's tables).

Safety rules: nothing is written into a folder that holds anything but escsim's own results; an
existing results folder is resumed or extended when it holds the same plan, refused otherwise;
``overwrite`` deletes only the files the folder's own manifest lists. Each shard is written to a
temporary name and renamed, so a run killed at any moment resumes to exactly the rows of an
uninterrupted one; before resuming, every shard is checked (:func:`inspect`) and a bad one is moved
into ``quarantine/`` and its runs done again.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.analysis import outcomes as registry
from sim.calibration.posterior import Posterior, draw
from sim.experiments.engines import Engine, alive, stream
from sim.experiments.runner import Task, outcome_frame, run_batch, run_seed, series_frame
from sim.experiments.storage import (
    TMP_SUFFIX,
    atomic_file,
    git_commit,
    made_by_other_code,
    model_code,
    now,
    peak_rss_mb,
    provenance,
    versions,
    write_json,
)
from sim.scenario.loading import ScenarioError, scenario_hash
from sim.scenario.schema import Scenario

FORMAT = "escsim-results/1"
BATCH = 50  # runs per shard
SHARD = re.compile(r"^part-(\d{6})\.parquet$")
OWN_TEMP = re.compile(rf"^\..+\.(\d+){re.escape(TMP_SUFFIX)}$")
LAYOUT = ("manifest.json", "points.parquet", "experiment.toml", "outcomes", "series", "quarantine", ".lock")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+=-]*$")
NAME_MAX = 120  # characters of a default folder name; longer ones end in a hash


class ResultsError(ScenarioError):
    """A results folder that cannot be written or read as asked (exit code 2 unless it says)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Point:
    base: int  # which of the plan's scenarios it runs
    overrides: Mapping[str, Any]  # applied to that scenario in the worker
    columns: Mapping[str, Any]  # its id in points.parquet and in each of its rows


@dataclass(frozen=True)
class Plan:
    """What a results folder holds and how each run is seeded."""

    command: str  # run, sweep or compare
    scenarios: tuple[Scenario, ...]
    sources: tuple[str, ...]  # the file of each scenario
    points: tuple[Point, ...]
    replicates: int
    seed: int
    common_seeds: bool  # run r of every point shares its seed (paired comparisons)
    series: bool
    identity: str  # a hash of all that may not change under an existing folder
    spec: dict[str, Any]  # the plan as the user gave it (experiment, or command-line values)
    text: str | None = None  # the experiment file, kept as experiment.toml
    overrides: Mapping[str, Any] = field(default_factory=dict)
    posterior: Posterior | None = None  # each run draws its calibrated parameters from it

    def draw(self, point: int, replicate: int) -> dict[str, float]:
        """Run (point, replicate)'s parameters from the posterior, keyed like its seed so that
        paired runs of a comparison share them."""
        return draw(self.posterior, self.seed, self.key(point, replicate))

    @property
    def runs(self) -> int:
        return len(self.points) * self.replicates

    def key(self, point: int, replicate: int) -> tuple[int, ...]:
        return (replicate,) if self.common_seeds else (point, replicate)

    @property
    def seeding(self) -> str:
        key = "replicate" if self.common_seeds else "point, replicate"
        return (
            f"run seed = SeedSequence({self.seed}, spawn_key=({key},)), see sim.experiments.runner.run_seed"
        )

    @property
    def columns(self) -> list[str]:
        """The columns of every outcome shard, in order."""
        names = list(self.points[0].columns) + (self.posterior.keys if self.posterior else [])
        outcomes = registry.outcome_columns(self.scenarios[0])
        return ["run_id", "point", "replicate", *names, "seed", *outcomes, "error"]


def posterior_id(posterior: Posterior | None) -> str | None:
    """The posterior as the manifest records it: its folder and a hash of its draws."""
    if posterior is None:
        return None
    return f"{posterior.source} sha256:{posterior.digest}"


def identity(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def run_id(point: int, replicate: int) -> str:
    return f"{point}-{replicate}"


def run_plan(
    scenario: Scenario,
    source: str | Path,
    overrides: Mapping[str, Any],
    runs: int,
    seed: int,
    posterior: Posterior | None = None,
) -> Plan:
    """``escsim run``: a one-point experiment of ``runs`` replicates with hourly series. Run i is
    seeded from (seed, i), as :func:`sim.run_ensemble` seeds it, so both give the same rows."""
    return Plan(
        command="run",
        scenarios=(scenario,),
        sources=(str(source),),
        points=(Point(0, {}, dict(overrides)),),
        replicates=runs,
        seed=seed,
        common_seeds=True,
        series=True,
        identity=identity("run", scenario_hash(scenario), dict(overrides), seed, posterior_id(posterior)),
        spec={
            "name": scenario.name,
            "scenario": str(source),
            "overrides": dict(overrides),
            "parameters": {},
            "replicates": runs,
            "seed": seed,
            "series": True,
            "posterior": posterior_id(posterior),
        },
        overrides=overrides,
        posterior=posterior,
    )


def compare_plan(
    scenarios: Sequence[Scenario],
    sources: Sequence[str | Path],
    overrides: Mapping[str, Any],
    runs: int,
    seed: int,
    posterior: Posterior | None = None,
) -> Plan:
    """``escsim compare``: one point per scenario, run i of each seeded alike (common random
    numbers), so each what-if run is paired with the baseline run that shares its luck."""
    if len(scenarios) < 2:
        raise ScenarioError("compare needs a baseline scenario and at least one what-if after it")
    base = scenarios[0]
    for path, scenario in zip(sources[1:], scenarios[1:], strict=True):
        for what in ("states", "alliances"):
            ids, base_ids = sorted(getattr(scenario, what)), sorted(getattr(base, what))
            if ids != base_ids:
                raise ScenarioError(
                    f"{path}: key `{what}` has {', '.join(ids) or 'none'}; a what-if must keep the "
                    f"baseline's ({', '.join(base_ids) or 'none'}) for runs to be paired outcome by outcome"
                )
    names = comparison_names(scenarios, sources)
    return Plan(
        command="compare",
        scenarios=tuple(scenarios),
        sources=tuple(str(s) for s in sources),
        points=tuple(Point(i, {}, {"scenario": n, **overrides}) for i, n in enumerate(names)),
        replicates=runs,
        seed=seed,
        common_seeds=True,
        series=False,
        identity=identity(
            "compare",
            [scenario_hash(s) for s in scenarios],
            names,
            dict(overrides),
            seed,
            posterior_id(posterior),
        ),
        spec={
            "scenarios": [str(s) for s in sources],
            "overrides": dict(overrides),
            "runs": runs,
            "seed": seed,
            "posterior": posterior_id(posterior),
        },
        overrides=overrides,
        posterior=posterior,
    )


def comparison_names(scenarios: Sequence[Scenario], sources: Sequence[str | Path]) -> list[str]:
    """Scenario names, or file names when two scenarios share a name."""
    names = [s.name for s in scenarios]
    return names if len(set(names)) == len(names) else [Path(p).stem for p in sources]


# --- folder names ------------------------------------------------------------------------------


def default_folder(name: str, overrides: Mapping[str, Any], seed: int, root: str | Path = "results") -> Path:
    """``results/<name>``, plus ``+key=value`` for each override and ``+seed=S`` unless S is 1, so
    runs of different scenarios, overrides or seeds never share a folder; a name too long for a
    file system ends in a hash of the rest."""
    if not SAFE_NAME.match(name) or ".." in name:
        raise ResultsError(
            f"name {name!r}: a results folder name may hold letters, digits and . _ - + = "
            "(no / or ..); rename it or give --out"
        )
    parts = [f"{k}={v}" for k, v in sorted(overrides.items())] + ([f"seed={seed}"] if seed != 1 else [])
    full = "+".join([name, *parts])
    if SAFE_NAME.match(full) and len(full) <= NAME_MAX:
        return Path(root) / full
    return Path(root) / f"{name[: NAME_MAX - 20]}+{identity(full)[:12]}"


# --- the check ---------------------------------------------------------------------------------


@dataclass
class Inspection:
    """What a folder's shards hold: the good ones' runs, and the files to move aside (and why)."""

    done: set[tuple[int, int]] = field(default_factory=set)
    failed: int = 0
    shards: list[int] = field(default_factory=list)
    bad: list[tuple[list[Path], str]] = field(default_factory=list)
    stale: list[Path] = field(default_factory=list)  # escsim's own temp files of a dead process


@dataclass(frozen=True)
class Layout:
    """What the shards of a folder must hold, from a plan or from the folder's manifest."""

    points: pd.DataFrame  # point, then its columns
    replicates: int
    seed: int
    common_seeds: bool
    series: bool
    columns: list[str]

    @classmethod
    def of(cls, plan: Plan) -> Layout:
        points = pd.DataFrame([{"point": p, **pt.columns} for p, pt in enumerate(plan.points)])
        return cls(points, plan.replicates, plan.seed, plan.common_seeds, plan.series, plan.columns)

    def expected_seeds(self, points: np.ndarray, replicates: np.ndarray) -> np.ndarray:
        keys = (
            zip(replicates.tolist(), strict=True)
            if self.common_seeds
            else zip(points, replicates, strict=True)
        )
        return np.array([run_seed(self.seed, *k) for k in keys], dtype=np.int64)


def _entries(folder: Path, result: Inspection) -> dict[int, Path]:
    """Shards of ``outcomes/`` or ``series/`` by number; other files there are strays."""
    shards: dict[int, Path] = {}
    if not folder.is_dir():
        return shards
    for path in sorted(folder.iterdir()):
        if (m := SHARD.match(path.name)) and path.is_file():
            shards[int(m.group(1))] = path
        elif m := OWN_TEMP.match(path.name):
            if not alive(int(m.group(1))):
                result.stale.append(path)
        else:
            result.bad.append(([path], "not a shard of this folder (a stray or copied file)"))
    return shards


def _rows_problem(table: pa.Table, layout: Layout, seen: dict[str, int]) -> str | None:
    """Why a shard's rows do not belong to this folder's design, or None."""
    frame = table.select(["run_id", "point", "replicate", "seed", *layout.points.columns[1:]]).to_pandas()
    p, r = frame["point"].to_numpy(), frame["replicate"].to_numpy()
    if ((p < 0) | (p >= len(layout.points)) | (r < 0) | (r >= layout.replicates)).any():
        return "holds runs outside the design"
    if frame["run_id"].duplicated().any():
        return "holds the same run twice"
    if not (frame["run_id"] == [run_id(a, b) for a, b in zip(p, r, strict=True)]).all():
        return "run ids do not match point and replicate"
    if not np.array_equal(frame["seed"].to_numpy(np.int64), layout.expected_seeds(p, r)):
        return "seeds differ from this folder's seeding"
    if twice := [seen[i] for i in frame["run_id"] if i in seen]:
        return f"repeats runs of part-{twice[0]:06d} (a copy?)"
    expected = layout.points.set_index("point").loc[p]
    for col in expected.columns:
        if not (np.asarray(frame[col], dtype=object) == np.asarray(expected[col], dtype=object)).all():
            return f"column {col} differs from the point's value in points.parquet"
    return None


def _series_problem(path: Path | None, ok: set[str]) -> str | None:
    if not ok:
        return None
    if path is None:
        return "its hourly series shard is missing"
    try:
        frame = pq.read_table(path, columns=["run_id", "hour"]).to_pandas()
    except (pa.ArrowException, OSError, KeyError) as exc:
        return f"its series shard is unreadable ({_short(exc)})"
    if set(frame["run_id"]) != ok:
        return "its series shard holds other runs than its outcomes"
    hours = frame.groupby("run_id")["hour"].agg(["count", "nunique", "min", "max"])
    if not (
        (hours["count"] == hours["nunique"]) & (hours["min"] == 0) & (hours["max"] + 1 == hours["count"])
    ).all():
        return "its series shard has missing or repeated hours"
    return None


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


def inspect(root: Path, layout: Layout) -> Inspection:
    """Check every shard of a folder: readable, the right columns and types, run ids unique and
    inside the design, seeds and point columns as the design says, series complete."""
    result = Inspection()
    outcomes = _entries(root / "outcomes", result)
    series = _entries(root / "series", result) if (root / "series").is_dir() else {}
    for n in sorted(set(series) - set(outcomes)):
        result.bad.append(([series[n]], "an hourly series shard without its outcomes (an interrupted write)"))
    seen: dict[str, int] = {}
    reference: pa.Schema | None = None
    for n in sorted(outcomes):
        files = [outcomes[n], *([series[n]] if n in series else [])]
        try:
            table = pq.read_table(outcomes[n])
        except (pa.ArrowException, OSError) as exc:
            result.bad.append((files, f"unreadable ({_short(exc)})"))
            continue
        if table.column_names != layout.columns:
            result.bad.append((files, "its columns are not this folder's"))
            continue
        schema = table.schema.remove_metadata()
        if reference is not None and not schema.equals(reference):
            result.bad.append((files, "its column types differ from the other shards'"))
            continue
        problem = _rows_problem(table, layout, seen)
        errors = table.column("error").to_pandas()
        ok = set(table.column("run_id").to_pandas()[errors.isna()])
        if problem is None and layout.series:
            problem = _series_problem(series.get(n), ok)
        if problem is not None:
            result.bad.append((files, problem))
            continue
        reference = reference or schema
        ids = table.column("run_id").to_pylist()
        seen.update(dict.fromkeys(ids, n))
        result.done.update(
            zip(table.column("point").to_pylist(), table.column("replicate").to_pylist(), strict=True)
        )
        result.failed += int(errors.notna().sum())
        result.shards.append(n)
    return result


# --- the folder --------------------------------------------------------------------------------


def read_manifest(root: Path) -> dict | None:
    """The folder's manifest, or None if it has none; ResultsError if it is not one of ours."""
    path = Path(root) / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: not valid JSON ({_short(exc)})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ResultsError(f"{path}: not the manifest of an escsim results folder ({FORMAT})")
    return data


def layout_of(root: Path, manifest: dict) -> Layout:
    """A folder's layout, from its manifest and points.parquet (for ``escsim check``)."""
    try:
        points = pd.read_parquet(Path(root) / "points.parquet")
    except (pa.ArrowException, OSError) as exc:
        raise ResultsError(f"{root}/points.parquet: unreadable ({_short(exc)})", exit_code=1) from None
    d = manifest["layout"]
    return Layout(points, d["replicates"], d["seed"], d["common_seeds"], d["series"], d["columns"])


class ResultsFolder:
    """One results folder: who may write to it, what is done, atomic writes of what is new."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.outcomes = self.root / "outcomes"
        self.series = self.root / "series"

    def create(self, vet: Callable[[], object]) -> None:
        """Make the folder (and its parents) now, before any run is computed, so a name the file
        system refuses fails at once; ``vet()`` may refuse an existing folder before it is touched."""
        try:
            if self.root.is_dir():
                vet()
            elif self.root.exists():
                raise ResultsError(f"--out {self.root}: exists and is not a folder")
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / f".probe.{os.getpid()}{TMP_SUFFIX}"
            probe.touch()
            probe.unlink()
        except OSError as exc:
            raise ResultsError(f"--out {self.root}: cannot write there ({exc.strerror or exc})") from None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder for one command at a time: two writers would number shards alike."""
        with open(self.root / ".lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ResultsError(
                    f"{self.root}: another escsim command is writing to this folder; "
                    "wait for it to finish or use another --out"
                ) from None
            yield

    def foreign(self) -> list[str]:
        """Top-level entries that are not part of a results folder."""
        return sorted(
            p.name for p in self.root.iterdir() if p.name not in LAYOUT and not OWN_TEMP.match(p.name)
        )

    def owned(self, manifest: dict) -> list[Path]:
        """Files the manifest lists as its command's own (names or glob patterns)."""
        found: set[Path] = set()
        for pattern in manifest.get("files", []):
            if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
                continue  # a manifest edited to reach outside the folder
            found.update(p for p in self.root.glob(pattern) if p.is_file())
        return sorted(found)

    def quarantine(self, files: list[Path]) -> list[str]:
        """Move files into quarantine/ (never delete them); return their new names."""
        moved = []
        (self.root / "quarantine").mkdir(exist_ok=True)
        for path in files:
            name = "_".join(path.relative_to(self.root).parts)
            target, n = self.root / "quarantine" / name, 1
            while target.exists():
                target, n = self.root / "quarantine" / f"{name}.{n}", n + 1
            path.rename(target)
            moved.append(str(target.relative_to(self.root)))
        return moved

    def shard_paths(self, folder: Path) -> list[Path]:
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if SHARD.match(p.name))

    def next_part(self) -> int:
        numbers = [int(SHARD.match(p.name).group(1)) for p in self.shard_paths(self.outcomes)]
        numbers += [int(SHARD.match(p.name).group(1)) for p in self.shard_paths(self.series)]
        return max(numbers, default=-1) + 1

    def write_part(self, n: int, outcomes: pd.DataFrame, series: pd.DataFrame | None) -> None:
        if series is not None and not series.empty:
            write_parquet(series, self.series / f"part-{n:06d}.parquet")
        path = self.outcomes / f"part-{n:06d}.parquet"
        atomic_file(path, lambda tmp: registry.write_parquet(outcomes, tmp))  # the commit point


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    atomic_file(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_text(path: Path, text: str) -> None:
    atomic_file(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _read_shards(paths: list[Path]) -> pd.DataFrame:
    return pq.ParquetDataset(paths).read().to_pandas() if paths else pd.DataFrame()


def load_outcomes(results: str | Path) -> pd.DataFrame:
    """All outcome rows of a results folder, sorted by (point, replicate)."""
    folder = ResultsFolder(results)
    paths = folder.shard_paths(folder.outcomes)
    if not paths:
        raise ResultsError(f"{results}: no finished runs yet; run (or resume) the command that made it")
    frame = _read_shards(paths)
    return frame.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)


def load_series(results: str | Path) -> pd.DataFrame:
    """All hourly series rows of a results folder (empty if it keeps none)."""
    folder = ResultsFolder(results)
    return _read_shards(folder.shard_paths(folder.series))


# --- the manifest ------------------------------------------------------------------------------


def code() -> dict:
    """The code a session runs: git commit, model code digest and package versions."""
    return {"git_commit": git_commit(), "model_code": model_code(), "versions": versions()}


@dataclass(frozen=True)
class Report:
    runs: int  # in the plan
    done_before: int  # found on disk when it started
    ran: int
    failed: int  # among all runs on disk
    seconds: float
    peak_rss_mb: float

    @property
    def rate(self) -> float:
        return self.ran / self.seconds if self.seconds > 0 else float("nan")

    def line(self) -> str:
        return (
            f"{self.runs} runs ({self.done_before} already done, {self.ran} run now), "
            f"{self.failed} failed, {self.seconds:.1f} s wall, {self.rate:.0f} runs/s"
        )


def session(started: str, engine_name: str, made_by: dict, report: Report | None) -> dict:
    """One command's turn at a folder: when, where, with what code, how many runs."""
    out = {"started": started, "finished": None, "engine": engine_name, "host": platform.node(), **made_by}
    if report is not None:
        out |= {"finished": now(), "ran": report.ran, "wall_seconds": round(report.seconds, 3)}
    return out


def manifest(plan: Plan, sessions: list[dict], report: Report | None, files: Sequence[str]) -> dict:
    """The one manifest of every results folder: the plan, its scenarios with their hashes, the
    seeding rule, the layout a check needs, every session, run counts, and the files it owns."""
    counts = {"points": len(plan.points), "replicates": plan.replicates, "runs": plan.runs}
    if report is not None:
        counts |= {
            "done": report.done_before + report.ran,
            "ran_now": report.ran,
            "failed": report.failed,
            "wall_seconds": round(report.seconds, 3),
            "peak_rss_mb": round(report.peak_rss_mb, 1),
        }
    return {
        "format": FORMAT,
        "command": plan.command,
        **provenance(plan.scenarios[0], plan.sources[0], sessions[0]["started"]),
        "finished": sessions[-1]["finished"],
        "scenarios": [
            {"path": src, "name": s.name, "hash": scenario_hash(s)}
            for s, src in zip(plan.scenarios, plan.sources, strict=True)
        ],
        "overrides": dict(plan.overrides),
        "seed": plan.seed,
        "runs": plan.runs,
        "experiment": plan.spec,
        "experiment_identity": plan.identity,
        "experiment_text": plan.text,
        "seeding": plan.seeding,
        "columns": registry.describe_columns(plan.columns),
        "layout": {
            "replicates": plan.replicates,
            "seed": plan.seed,
            "common_seeds": plan.common_seeds,
            "series": plan.series,
            "columns": plan.columns,
        },
        "engine": sessions[-1]["engine"],
        "sessions": sessions,
        "counts": counts,
        "files": list(files),
    }


def _compatible(old: dict, plan: Plan) -> str | None:
    """Why ``plan`` may not resume the folder's runs (None: it may)."""
    if old["command"] != plan.command:
        return f"holds the results of `escsim {old['command']}`, not of `escsim {plan.command}`"
    if old["experiment_identity"] != plan.identity:
        return {
            "sweep": "holds a different experiment or scenario (only `replicates`, and `design.points` of "
            "a sobol/halton/saltelli design, may grow)",
            "run": f"holds runs of another scenario, overrides or seed ({old['scenario_path']}, "
            f"overrides {old['overrides'] or 'none'}, seed {old['seed']})",
            "compare": "holds a comparison of other scenarios, overrides or seed",
        }[plan.command]
    was = old["counts"]
    for what, before, now_ in (
        ("replicates" if plan.command == "sweep" else "runs", was["replicates"], plan.replicates),
        ("design.points", was["points"], len(plan.points)),
    ):
        if now_ < before:
            return f"holds {before} {what.split('.')[-1]}, {now_} asked for: a folder may grow, not shrink"
    return made_by_other_code(old)


def claim(
    folder: ResultsFolder, plan: Plan, overwrite: bool, notify: Callable[[str], None], dry: bool = False
) -> dict | None:
    """Decide whether ``plan`` may write into the folder: return the manifest of runs to resume, or
    None to start afresh. Refuses a folder holding anything escsim did not write, and one holding
    other results unless ``overwrite`` (which deletes only the files that manifest lists, unless
    ``dry``)."""
    where = f"{folder.root}"
    if not folder.root.exists():
        return None
    foreign = folder.foreign()
    try:
        old, broken = read_manifest(folder.root), None
    except ResultsError as exc:
        old, broken = None, exc
    if old is None:
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise ResultsError(
                f"--out {where}: holds files escsim did not write ({shown}); choose a new or empty folder"
            )
        if broken is not None and not dry:
            folder.quarantine([folder.root / "manifest.json"])
            notify(f"{broken}: moved it to quarantine/; checking the shards against this command")
        elif folder.shard_paths(folder.outcomes):
            notify(f"{where}/manifest.json is missing: checking its shards against this command")
        return None
    why = _compatible(old, plan)
    if why is None and not overwrite:
        return old
    if not overwrite:
        raise ResultsError(f"--out {where}: {why}; add --overwrite to replace them, or choose another --out")
    owned = [] if dry else folder.owned(old)
    for path in owned:
        path.unlink()
    notify(f"--overwrite: deleted the {len(owned)} files {where}/manifest.json listed")
    return None


def _owned_patterns(plan: Plan) -> list[str]:
    patterns = ["manifest.json", "points.parquet", "outcomes/part-*.parquet"]
    patterns += ["series/part-*.parquet"] if plan.series else []
    return patterns + (["experiment.toml"] if plan.text is not None else [])


def write_results(
    plan: Plan,
    out: str | Path,
    eng: Engine,
    *,
    overwrite: bool = False,
    engine_name: str = "",
    progress: Callable[[int, int], Callable[[int], None]] | None = None,
    notify: Callable[[str], None] | None = None,
    finish: Callable[[Path], list[Path]] | None = None,
) -> Report:
    """Run ``plan`` into the results folder ``out`` (or resume or extend the runs already there).

    ``progress(total, done)`` returns an updater; ``notify`` hears what is worth a note (shards
    moved aside, package versions that differ from the runs already there); ``finish(folder)``
    writes files derived from the rows (summaries, plots, tables) and returns their paths."""
    notify = notify or (lambda _text: None)
    folder = ResultsFolder(out)
    folder.create(lambda: claim(folder, plan, overwrite, lambda _text: None, dry=True))
    with folder.lock():
        old = claim(folder, plan, overwrite, notify)
        made_by = code()
        before = old["sessions"][-1].get("versions") if old else None
        if before is not None and before != made_by["versions"]:  # the model's code is the same (claim)
            changed = ", ".join(
                f"{name} {before.get(name)} → {made_by['versions'].get(name)}"
                for name in dict.fromkeys([*before, *made_by["versions"]])
                if before.get(name) != made_by["versions"].get(name)
            )
            notify(f"runs already in {folder.root} were made with other package versions: {changed}")
        layout = Layout.of(plan)
        found = inspect(folder.root, layout)
        for path in found.stale:
            path.unlink(missing_ok=True)  # escsim's own temp file, left by a killed process
        for files, why in found.bad:
            folder.quarantine(files)
            notify(
                f"moved {', '.join(str(f.relative_to(folder.root)) for f in files)} to quarantine/ ({why}); "
                "its runs will be done again"
            )
        sessions = [*(old or {}).get("sessions", []), session(now(), engine_name, made_by, None)]
        files = list(dict.fromkeys([*_owned_patterns(plan), *(old or {}).get("files", [])]))

        def write_manifest(report: Report | None) -> None:
            sessions[-1] = session(sessions[-1]["started"], engine_name, made_by, report)
            write_json(folder.root / "manifest.json", manifest(plan, sessions, report, files))

        write_manifest(None)
        if plan.text is not None:
            write_text(folder.root / "experiment.toml", plan.text)
        write_parquet(layout.points, folder.root / "points.parquet")

        done, failed = found.done, found.failed
        update = progress(plan.runs, len(done)) if progress else None
        part, ran, t0 = folder.next_part(), 0, time.perf_counter()
        todo = _batched(_tasks(plan, done), BATCH)
        try:
            for records in stream(eng, run_batch, todo, plan.scenarios, plan.seed, plan.series):
                frame = outcome_frame(records, {}, plan.scenarios[0], errors=True)
                series = series_frame(records) if plan.series else None
                folder.write_part(part, frame, series)
                part += 1
                ran += len(records)
                failed += int(frame["error"].notna().sum())
                if update:
                    update(len(records))
        except OSError as exc:
            raise ResultsError(
                f"writing to {folder.root} failed ({exc.strerror or exc}); the {len(done) + ran} runs "
                f"finished before are in {folder.root}/outcomes: fix that, then run the same command "
                "to resume",
                exit_code=1,
            ) from None
        report = Report(plan.runs, len(done), ran, failed, time.perf_counter() - t0, peak_rss_mb())
        if finish is not None:
            try:
                derived = finish(folder.root)
            except OSError as exc:
                raise ResultsError(
                    f"writing the summary into {folder.root} failed ({exc.strerror or exc}); all "
                    f"{plan.runs} runs are in {folder.root}/outcomes: run the same command to finish",
                    exit_code=1,
                ) from None
            names = [str(p.relative_to(folder.root)) for p in derived]
            files += [n for n in names if n not in files]
        write_manifest(report)
    return report


def _tasks(plan: Plan, done: set[tuple[int, int]]) -> Iterator[Task]:
    for p, point in enumerate(plan.points):
        for r in range(plan.replicates):
            if (p, r) not in done:
                drawn = plan.draw(p, r)
                columns = {"run_id": run_id(p, r), "point": p, "replicate": r, **point.columns, **drawn}
                yield Task(plan.key(p, r), {**point.overrides, **drawn}, columns, point.base)


def _batched(items: Iterator[Task], size: int) -> Iterator[list[Task]]:
    batch: list[Task] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- `escsim check` ----------------------------------------------------------------------------


def check(root: str | Path) -> tuple[list[str], str]:
    """What is wrong with a results folder (one line each) and a one-line account of what it holds."""
    root = Path(root)
    if not root.is_dir():
        raise ResultsError(f"{root}: no such folder")
    try:
        old = read_manifest(root)
    except ResultsError as exc:
        raise ResultsError(
            f"{exc}; rerun the command that made the folder to rebuild it", exit_code=1
        ) from None
    if old is None:
        raise ResultsError(f"{root}: no manifest.json: not an escsim results folder", exit_code=1)
    found = inspect(root, layout_of(root, old))
    problems = [f"{', '.join(str(f.relative_to(root)) for f in files)}: {why}" for files, why in found.bad]
    counts = old["counts"]
    on_disk = len(found.done)
    if old["finished"] is None:
        problems.append(
            f"unfinished: {on_disk} of {counts['runs']} runs on disk; run the same command again to resume"
        )
    elif on_disk != counts.get("done", counts["runs"]):
        problems.append(f"{on_disk} runs on disk, but the manifest says {counts.get('done')}")
    if found.failed != counts.get("failed", found.failed):
        problems.append(f"{found.failed} failed runs on disk, but the manifest says {counts['failed']}")
    line = (
        f"{root}: `escsim {old['command']}`, {on_disk} of {counts['runs']} runs "
        f"({counts['points']} point(s) × {counts['replicates']}), {found.failed} failed, "
        f"{len(found.shards)} shard(s)"
    )
    return problems, line
