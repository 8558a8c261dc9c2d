"""Running the model: one run, or batches of seeded runs wherever ``sim.experiments.engines`` puts them.

A run is a pure function of (scenario, seed). Each run's seed derives from the ensemble or
experiment seed and the run's identity — its run id, or (design point, replicate) — with
``numpy.random.SeedSequence``, never from order or worker, so rows are identical for any number of
workers and when an experiment is resumed or extended.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.outcomes import contract_frame, outcomes
from sim.experiments.engines import engine, stream
from sim.model.escalation import DEFAULT_SCENARIO, EscalationModel, resolve_scenario
from sim.scenario.loading import with_overrides
from sim.scenario.schema import Scenario

CHUNK = 20  # runs per batch sent to a worker: large enough to amortise pickling, small for balance


@dataclass(frozen=True)
class RunResult:
    outcomes: dict[str, Any]
    events: pd.DataFrame
    series: pd.DataFrame


@dataclass(frozen=True)
class Task:
    """One run to do: its identity (seed key), the point's overrides, and columns to carry."""

    key: tuple[int, ...]
    overrides: Mapping[str, Any] = field(default_factory=dict)
    columns: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Ensemble:
    outcomes: pd.DataFrame  # one row per run, per the outcome contract
    series: pd.DataFrame  # one row per run and hour


def run_seed(seed: int, *key: int) -> int:
    """The seed of the run identified by ``key`` in an ensemble or experiment seeded with ``seed``."""
    state = np.random.SeedSequence(seed, spawn_key=key).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))  # a non-negative int64


def simulate(scenario: Scenario, seed: int) -> EscalationModel:
    return EscalationModel(scenario, seed, collect=False).run()


def run(scenario: Scenario, seed: int) -> RunResult:
    """One run: its outcomes, event log and hourly series."""
    model = simulate(scenario, seed)
    series = pd.DataFrame(model.series)
    series.insert(0, "hour", np.arange(len(series)))
    return RunResult(outcomes(model), model.log.to_frame(), series)


def evaluate(
    params: Mapping[str, Any], seed: int, scenario: str | os.PathLike | Scenario = DEFAULT_SCENARIO
) -> dict[str, Any]:
    """The outcomes of one run as a plain dict, for EMA Workbench, SALib and other callers that
    want a function of (parameters, seed). ``params`` use the scenario's dotted keys
    (``mediators.USA.arrival_hour``) or their keyword-safe spelling (``mediators__USA__arrival_hour``)."""
    return outcomes(simulate(resolve_scenario(scenario, dict(params)), seed))


def run_batch(scenario: Scenario, seed: int, keep_series: bool, tasks: list[Task]) -> list[dict]:
    """Run a batch; a run that raises becomes a row with its error text, and the batch goes on."""
    records, variants = [], {}
    for task in tasks:
        s = run_seed(seed, *task.key)
        record: dict[str, Any] = {**task.columns, "seed": s, "error": None}
        try:
            key = tuple(sorted(task.overrides.items()))
            if key not in variants:
                variants[key] = with_overrides(scenario, task.overrides)
            model = simulate(variants[key], s)
            record["outcomes"] = outcomes(model)
            if keep_series:
                record["series"] = model.series
        except Exception as exc:  # recorded, not raised: one bad point must not stop a sweep
            record["error"] = f"{type(exc).__name__}: {exc}"
        records.append(record)
    return records


def simulate_ensemble(
    scenario: Scenario,
    runs: int,
    seed: int,
    workers: int = 1,
    params: Mapping[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Ensemble:
    """``runs`` seeded runs on ``workers`` local processes; ``params`` become parameter columns;
    ``progress(n)`` is called as each batch of n runs finishes."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    workers = max(1, min(workers or os.cpu_count() or 1, runs))
    tasks = [Task((i,), columns={"run_id": i}) for i in range(runs)]
    batches = [tasks[i : i + CHUNK] for i in range(0, runs, CHUNK)]
    records: list[dict] = []
    eng = engine(workers)
    try:
        for batch in stream(eng, run_batch, batches, scenario, seed, True):
            records += batch
            if progress:
                progress(len(batch))
    finally:
        eng.close()
    failed = [r for r in records if r["error"]]
    if failed:
        raise RuntimeError(
            f"{len(failed)} run(s) failed, e.g. run {failed[0]['run_id']}: {failed[0]['error']}"
        )
    records.sort(key=lambda r: r["run_id"])
    return Ensemble(
        outcome_frame(records, params or {}, scenario, errors=False), series_frame(records, scenario)
    )


def run_ensemble(
    scenario: Scenario, runs: int, seed: int, workers: int = 1, params: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Outcomes of ``runs`` seeded runs, one row each (the outcome contract)."""
    return simulate_ensemble(scenario, runs, seed, workers, params).outcomes


def outcome_frame(
    records: list[dict], params: Mapping[str, Any], scenario: Scenario, errors: bool
) -> pd.DataFrame:
    """Outcome rows: identity columns, seed, parameters, the contract's outcomes (and the error)."""
    rows = []
    for r in records:
        ident = {k: v for k, v in r.items() if k not in ("seed", "error", "outcomes", "series")}
        row = {**ident, "seed": r["seed"], **params, **r.get("outcomes", {})}
        if errors:
            row["error"] = r["error"]
        rows.append(row)
    return contract_frame(pd.DataFrame(rows), scenario)


def series_frame(records: list[dict], scenario: Scenario, id_column: str = "run_id") -> pd.DataFrame:
    records = [r for r in records if r.get("series")]
    if not records:
        return pd.DataFrame()
    horizon = scenario.horizon_hours
    frame = {
        id_column: np.repeat([r[id_column] for r in records], horizon),
        "hour": np.tile(np.arange(horizon), len(records)),
    }
    for name in records[0]["series"]:
        frame[name] = np.concatenate([r["series"][name] for r in records])
    return pd.DataFrame(frame)
