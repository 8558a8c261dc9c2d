"""Sweeps: every (design point, replicate) of an experiment, streamed to disk, resumable.

Layout of a results folder::

    manifest.json        experiment and scenario (contents and hashes), seeding rule, versions,
                         git commit, host, start/end, counts
    experiment.toml      the experiment file as run
    points.parquet       design points: point id and parameter values
    outcomes/part-*.parquet   outcome rows (run_id, point, replicate, seed, parameters, outcomes, error)
    series/part-*.parquet     hourly series, if the experiment asks for them

Each batch of runs lands as one shard, written to a temporary name and renamed: a shard exists
whole or not at all. A rerun reads which (point, replicate) pairs the shards hold and does only the
rest, so a sweep killed at any moment and resumed ends with exactly the rows of an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import platform
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from sim.analysis.outcomes import describe_columns, outcome_columns, write_parquet
from sim.experiments.design import Experiment, design_points, identity_hash, load_experiment
from sim.experiments.engines import Engine, stream
from sim.experiments.runner import Task, outcome_frame, run_batch, series_frame
from sim.experiments.storage import (
    atomic_file,
    git_commit,
    now,
    peak_rss_mb,
    provenance,
    versions,
    write_json,
)
from sim.scenario.loading import ScenarioError, scenario_hash
from sim.scenario.schema import Scenario

BATCH = 50  # runs per shard


@dataclass(frozen=True)
class SweepReport:
    runs: int  # in the design
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


def run_id(point: int, replicate: int) -> str:
    return f"{point}-{replicate}"


def tasks(exp: Experiment, points: list[dict], done: set[tuple[int, int]]) -> Iterator[Task]:
    for p, params in enumerate(points):
        for r in range(exp.replicates):
            if (p, r) not in done:
                yield Task((p, r), params, {"run_id": run_id(p, r), "point": p, "replicate": r, **params})


def batched(items: Iterator[Task], size: int) -> Iterator[list[Task]]:
    batch: list[Task] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class ResultsFolder:
    """The on-disk state of a sweep: what is done, and atomic writes of what is new."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.outcomes = self.root / "outcomes"
        self.series = self.root / "series"

    def parts(self, folder: Path) -> dict[int, Path]:
        if not folder.is_dir():
            return {}
        return {int(p.stem.split("-")[1]): p for p in folder.glob("part-*.parquet")}

    def tidy(self) -> None:
        """Drop leftovers of an interrupted write: temp files, and series without outcomes."""
        for folder in (self.root, self.outcomes, self.series):
            for tmp in folder.glob(".*.tmp") if folder.is_dir() else ():
                tmp.unlink()
        committed = self.parts(self.outcomes)
        for n, path in self.parts(self.series).items():
            if n not in committed:
                path.unlink()

    def done(self) -> tuple[set[tuple[int, int]], int]:
        """(point, replicate) pairs on disk, and how many of them failed."""
        pairs, failed = set(), 0
        for path in self.parts(self.outcomes).values():
            table = pq.read_table(path, columns=["point", "replicate", "error"])
            points, reps = table["point"].to_pylist(), table["replicate"].to_pylist()
            pairs.update(zip(points, reps, strict=True))
            failed += len(table["error"].drop_null())
        return pairs, failed

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder for one sweep at a time: two writers would number shards alike."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ScenarioError(
                    f"{self.root}: another `escsim sweep` is writing to this folder; "
                    "wait for it to finish or use another --out"
                ) from None
            yield

    def next_part(self) -> int:
        return max(self.parts(self.outcomes), default=-1) + 1

    def write_part(self, n: int, outcomes: pd.DataFrame, series: pd.DataFrame | None) -> None:
        if series is not None and not series.empty:
            _write_parquet(series, self.series / f"part-{n:06d}.parquet")
        path = self.outcomes / f"part-{n:06d}.parquet"
        atomic_file(path, lambda tmp: write_parquet(outcomes, tmp))  # the commit point


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    atomic_file(path, lambda tmp: frame.to_parquet(tmp, index=False))


def code() -> dict:
    """The code a session runs: git commit and package versions."""
    return {"git_commit": git_commit(), "versions": versions()}


def session(started: str, engine_name: str, made_by: dict, report: SweepReport | None) -> dict:
    """One invocation of ``escsim sweep`` on a folder: when, where, with what code, how many runs."""
    out = {"started": started, "finished": None, "engine": engine_name, "host": platform.node(), **made_by}
    if report is not None:
        out |= {"finished": now(), "ran": report.ran, "wall_seconds": round(report.seconds, 3)}
    return out


def manifest(
    exp: Experiment,
    exp_text: str,
    scenario: Scenario,
    scenario_path: Path,
    points: int,
    sessions: list[dict],
    report: SweepReport | None,
) -> dict:
    """The manifest of a sweep: experiment and scenario with their hashes, every session that wrote
    to the folder (the first one's start, the latest one's code at the top level), and the run
    counts once ``report`` is in."""
    counts = {"points": points, "replicates": exp.replicates, "runs": points * exp.replicates}
    if report is not None:
        counts |= {
            "ran_now": report.ran,
            "failed": report.failed,
            "wall_seconds": round(report.seconds, 3),
            "peak_rss_mb": round(report.peak_rss_mb, 1),
        }
    return {
        **provenance(scenario, scenario_path, sessions[0]["started"]),
        "finished": sessions[-1]["finished"],
        "experiment": exp.model_dump(mode="json"),
        "experiment_identity": identity_hash(exp),
        "experiment_text": exp_text,
        "seeding": "run seed = SeedSequence(experiment seed, spawn_key=(point, replicate))",
        "engine": sessions[-1]["engine"],
        "sessions": sessions,
        "counts": counts,
        "columns": describe_columns(
            ["run_id", "point", "replicate", *exp.parameters, "seed", *outcome_columns(scenario), "error"]
        ),
    }


def check_compatible(
    folder: ResultsFolder, old: dict | None, exp: Experiment, scenario: Scenario, path: Path, made_by: dict
) -> list[str]:
    """Refuse to mix runs of a different experiment or scenario into an existing folder; return
    notes on what else differs from the runs already there (the code that made them)."""
    if old is None:
        if folder.parts(folder.outcomes):
            raise ScenarioError(
                f"{folder.root}: holds result shards but no manifest.json; choose another --out"
            )
        return []
    if old.get("experiment_identity") != identity_hash(exp):
        raise ScenarioError(
            f"{path}: differs from the experiment already run in {folder.root} (only `replicates`, "
            "and `design.points` of a sobol/halton/saltelli design, may grow); use another --out"
        )
    if old.get("scenario_hash") != scenario_hash(scenario):
        raise ScenarioError(
            f"{path}: the scenario {old.get('scenario_path')} changed since the "
            f"runs in {folder.root}; use another --out"
        )
    before = old["experiment"]
    for key, was, now_ in (
        ("replicates", before["replicates"], exp.replicates),
        ("design.points", before["design"]["points"], exp.design.points),
    ):
        if now_ < was:
            raise ScenarioError(
                f"{path}: key `{key}` is {now_}, but {was} were already run in {folder.root}; "
                "a sweep may grow, not shrink; use another --out"
            )
    last = (old.get("sessions") or [old])[-1]
    return [
        f"runs already in {folder.root} were made with {key} {last.get(key)}, this session has {value}"
        for key, value in made_by.items()
        if last.get(key) is not None and last.get(key) != value
    ]


def read_manifest(folder: ResultsFolder) -> dict | None:
    path = folder.root / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path}: not valid JSON ({exc})") from None


def sweep(
    experiment_path: str | Path,
    out: str | Path,
    eng: Engine,
    engine_name: str = "",
    progress: Callable[[int, int], Callable[[int], None]] | None = None,
    notify: Callable[[str], None] | None = None,
) -> SweepReport:
    """Run (or resume) an experiment into ``out``; ``progress(total, done)`` returns an updater,
    ``notify`` hears what differs from the runs already in ``out``."""
    experiment_path = Path(experiment_path)
    exp, scenario, scenario_path = load_experiment(experiment_path)
    text = experiment_path.read_text(encoding="utf-8")
    points = design_points(exp)
    folder = ResultsFolder(Path(out))
    if folder.root.exists() and not folder.root.is_dir():
        raise ScenarioError(f"--out {folder.root}: exists and is not a folder")
    with folder.lock():
        old = read_manifest(folder)
        made_by = code()
        for note in check_compatible(folder, old, exp, scenario, experiment_path, made_by):
            if notify:
                notify(note)
        folder.tidy()
        sessions = [*(old or {}).get("sessions", []), session(now(), engine_name, made_by, None)]

        def write_manifest(report: SweepReport | None) -> None:
            sessions[-1] = session(sessions[-1]["started"], engine_name, made_by, report)
            data = manifest(exp, text, scenario, scenario_path, len(points), sessions, report)
            write_json(folder.root / "manifest.json", data)

        write_manifest(None)
        atomic_file(folder.root / "experiment.toml", lambda tmp: tmp.write_text(text, encoding="utf-8"))
        _write_parquet(
            pd.DataFrame([{"point": p, **params} for p, params in enumerate(points)]),
            folder.root / "points.parquet",
        )

        done, failed = folder.done()
        total = len(points) * exp.replicates
        update = progress(total, len(done)) if progress else None
        part, ran, t0 = folder.next_part(), 0, time.perf_counter()
        todo = batched(tasks(exp, points, done), BATCH)
        for records in stream(eng, run_batch, todo, scenario, exp.seed, exp.series):
            frame = outcome_frame(records, {}, scenario, errors=True)
            series = series_frame(records, scenario) if exp.series else None
            folder.write_part(part, frame, series)
            part += 1
            ran += len(records)
            failed += int(frame["error"].notna().sum())
            if update:
                update(len(records))
        report = SweepReport(total, len(done), ran, failed, time.perf_counter() - t0, peak_rss_mb())
        write_manifest(report)
    return report


def load_outcomes(results: str | Path) -> pd.DataFrame:
    """All outcome rows of a sweep, sorted by (point, replicate)."""
    folder = ResultsFolder(Path(results))
    if not folder.parts(folder.outcomes):
        raise ScenarioError(f"{results}: no finished runs yet; run (or resume) `escsim sweep` first")
    frame = pd.read_parquet(folder.outcomes)
    return frame.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)
