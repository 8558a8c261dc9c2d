"""Running the model: one run, or a seeded ensemble on local processes.

A run is a pure function of (scenario, seed). An ensemble derives each run's seed from the ensemble
seed and the run's id with ``numpy.random.SeedSequence`` — never from order or worker — so the rows
are identical for any number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.model import EscalationModel
from sim.outcomes import outcomes
from sim.schema import Scenario

CHUNK = 20  # runs per task sent to a worker: large enough to amortise pickling, small for balance


@dataclass(frozen=True)
class RunResult:
    outcomes: dict[str, Any]
    events: pd.DataFrame
    series: pd.DataFrame


@dataclass(frozen=True)
class Ensemble:
    outcomes: pd.DataFrame  # one row per run, per the outcome contract
    series: pd.DataFrame  # one row per run and hour


def run_seed(seed: int, run_id: int) -> int:
    """The seed of run ``run_id`` in an ensemble seeded with ``seed``."""
    state = np.random.SeedSequence(seed, spawn_key=(run_id,)).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))  # a non-negative int64


def simulate(scenario: Scenario, seed: int) -> EscalationModel:
    return EscalationModel(scenario, seed).run()


def run(scenario: Scenario, seed: int) -> RunResult:
    """One run: its outcomes, event log and hourly series."""
    model = simulate(scenario, seed)
    series = pd.DataFrame(model.series)
    series.insert(0, "hour", np.arange(len(series)))
    return RunResult(outcomes(model), model.log.to_frame(), series)


def _run_ids(scenario: Scenario, seed: int, ids: list[int]) -> list[tuple[int, int, dict, dict]]:
    out = []
    for run_id in ids:
        s = run_seed(seed, run_id)
        model = simulate(scenario, s)
        out.append((run_id, s, outcomes(model), model.series))
    return out


_WORKER_SCENARIO: Scenario | None = None


def _init_worker(scenario: Scenario) -> None:
    global _WORKER_SCENARIO
    _WORKER_SCENARIO = scenario


def _work(seed: int, ids: list[int]) -> list[tuple[int, int, dict, dict]]:
    return _run_ids(_WORKER_SCENARIO, seed, ids)


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
    chunks = [list(range(i, min(i + CHUNK, runs))) for i in range(0, runs, CHUNK)]
    results: list[tuple[int, int, dict, dict]] = []
    if workers == 1:
        for ids in chunks:
            results += _run_ids(scenario, seed, ids)
            if progress:
                progress(len(ids))
    else:
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init_worker, initargs=(scenario,)
        ) as pool:
            futures = [pool.submit(_work, seed, ids) for ids in chunks]
            for future in as_completed(futures):
                batch = future.result()
                results += batch
                if progress:
                    progress(len(batch))
    results.sort(key=lambda r: r[0])
    return Ensemble(_outcome_frame(results, params or {}), _series_frame(results, scenario))


def run_ensemble(
    scenario: Scenario,
    runs: int,
    seed: int,
    workers: int = 1,
    params: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Outcomes of ``runs`` seeded runs, one row each (the outcome contract)."""
    return simulate_ensemble(scenario, runs, seed, workers, params).outcomes


def _outcome_frame(results, params: Mapping[str, Any]) -> pd.DataFrame:
    rows = [{"run_id": rid, "seed": s, **params, **row} for rid, s, row, _ in results]
    return pd.DataFrame(rows)


def _series_frame(results, scenario: Scenario) -> pd.DataFrame:
    horizon = scenario.horizon_hours
    frame = {
        "run_id": np.repeat([r[0] for r in results], horizon),
        "hour": np.tile(np.arange(horizon), len(results)),
    }
    for name in results[0][3]:
        frame[name] = np.concatenate([r[3][name] for r in results])
    return pd.DataFrame(frame)
