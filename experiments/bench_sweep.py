"""Benchmark: the same baseline runs through a serial loop, `escsim sweep` and `mesa.batch_run`.

    python experiments/bench_sweep.py [--runs 2000] [--workers 2] [--repeats 3] [--memory-runs 1000]

Two like-for-like configurations, each ending with the results on disk as Parquet:

* **outcomes** — one row of outcomes per run. ``mesa.batch_run`` gets the leanest model it allows:
  a DataCollector that computes the outcomes once, after the last hour.
* **series** — outcomes plus the hourly series (rungs, intensity, deaths) that an experiment with
  ``series = true`` stores. ``mesa.batch_run`` gets a model that collects them every hour, the way
  Mesa's examples use a DataCollector, with ``data_collection_period=1``.

For each: (a) a serial in-process loop over ``sim.run``; (b) the sweep engine (``sim.sweep.sweep``,
what ``escsim sweep --workers W`` runs) on W local processes; (c) ``mesa.batch_run`` with
``number_processes=W`` on the same model and the same seeds, plus writing its rows to Parquet.
Shared machines drift by tens of per cent from minute to minute, so every measurement is repeated
``--repeats`` times, the runners alternating in order, and the figures are medians with their range;
the ratio sweep / batch_run is taken within each repeat (the two ran minutes apart) and then its
median. Prints runs/s, that ratio and each runner's parallel efficiency (runs/s over W × serial),
and the driver's peak memory of each runner for ``--memory-runs`` runs against ten times as many
(each in its own process).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import mesa
import pandas as pd

import sim
from sim.analysis.outcomes import outcomes
from sim.experiments.engines import LocalProcesses
from sim.experiments.runner import run_seed
from sim.experiments.storage import peak_rss_mb
from sim.experiments.sweep import load_outcomes, sweep
from sim.model.escalation import EscalationModel

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "sept2022.toml"
SCENARIO = sim.load_scenario(BASELINE)
SEED = 1
CONFIGS = ("outcomes", "series")


class BatchRunModel(EscalationModel):
    """The baseline as `mesa.batch_run` wants it: seeded by ``rng``, results in a DataCollector.

    ``hourly`` collects the stored series every hour (outcomes only after the last one); otherwise
    the outcomes are collected once, at the end.
    """

    def __init__(self, rng: int, hourly: bool) -> None:
        super().__init__(SCENARIO, rng, collect=False)  # its own, leaner DataCollector below
        self.hourly = hourly
        reporters = {"outcomes": lambda m: None if m.running else outcomes(m)}
        if hourly:
            reporters |= {name: (lambda m, n=name: m.series[n][m.steps - 1]) for name in self.series}
        self.datacollector = mesa.DataCollector(model_reporters=reporters)

    def step(self) -> None:
        super().step()
        self.running = self.time < SCENARIO.horizon_hours
        if self.hourly or not self.running:
            self.datacollector.collect(self)


def experiment_file(folder: Path, runs: int, series: bool) -> Path:
    """A one-point experiment: the baseline, ``runs`` replicates."""
    path = folder / f"bench-{runs}-{series}.toml"
    path.write_text(
        f'''name = "bench"
scenario = "{BASELINE.as_posix()}"
replicates = {runs}
seed = {SEED}
series = {str(series).lower()}
[design]
kind = "grid"
[parameters."mediators.USA.arrival_hour"]
levels = [0]
''',
        encoding="utf-8",
    )
    return path


def seeds(runs: int) -> list[int]:
    return [run_seed(SEED, 0, r) for r in range(runs)]  # the sweep's seeds for (point 0, r)


def bench_serial(runs: int) -> float:
    t0 = time.perf_counter()
    for s in seeds(runs):
        sim.run(SCENARIO, s)
    return runs / (time.perf_counter() - t0)


def bench_sweep(runs: int, workers: int, folder: Path, series: bool) -> float:
    exp = experiment_file(folder, runs, series)
    out = folder / f"sweep-{series}"
    t0 = time.perf_counter()
    eng = LocalProcesses(workers)
    try:
        sweep(exp, out, eng)
    finally:
        eng.close()
    rate = runs / (time.perf_counter() - t0)
    assert len(load_outcomes(out)) == runs
    return rate


def bench_batch_run(runs: int, workers: int, folder: Path, series: bool) -> float:
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # batch_run is on its way out in Mesa 4
        rows = mesa.batch_run(
            BatchRunModel,
            parameters={"hourly": series},
            rng=seeds(runs),
            number_processes=workers,
            max_steps=SCENARIO.horizon_hours,
            data_collection_period=1 if series else -1,
            display_progress=False,
        )
    final = [r.pop("outcomes") for r in rows]  # None but in each run's last row
    pd.DataFrame([o for o in final if o is not None]).to_parquet(folder / f"batch-{series}-outcomes.parquet")
    if series:
        pd.DataFrame(rows).to_parquet(folder / "batch-series.parquet")
    rate = runs / (time.perf_counter() - t0)
    assert sum(o is not None for o in final) == runs
    return rate


RUNNERS = {"sweep": bench_sweep, "batch_run": bench_batch_run}


def peak_memory(runner: str, runs: int, workers: int, folder: Path) -> float:
    """Peak resident memory (MB) of the driver of ``runs`` runs with hourly series, as its own
    process: ``escsim sweep``, or this script running ``mesa.batch_run`` alone."""
    if runner == "sweep":
        out = folder / f"mem-{runs}"
        exp = experiment_file(folder, runs, series=True)
        escsim = Path(sys.executable).with_name("escsim")
        cmd = [escsim, "sweep", exp, "--out", out, "--workers", str(workers), "--quiet"]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        return json.loads((out / "manifest.json").read_text())["counts"]["peak_rss_mb"]
    cmd = [sys.executable, __file__, "--runs", str(runs), "--workers", str(workers), "--batch-run-memory"]
    return float(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def spread(values: list[float], digits: int = 1) -> str:
    """Median and range, e.g. ``112.4 (108.0–115.2)``."""
    m, lo, hi = statistics.median(values), min(values), max(values)
    return f"{m:7.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--memory-runs", type=int, default=1000)
    ap.add_argument("--batch-run-memory", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    n, w = args.runs, args.workers
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.batch_run_memory:
            bench_batch_run(n, w, folder, series=True)
            print(peak_rss_mb())
            return
        serial: list[float] = []
        rates: dict[tuple[str, str], list[float]] = {(c, r): [] for c in CONFIGS for r in RUNNERS}
        for rep in range(args.repeats):
            serial.append(bench_serial(n))
            for config in CONFIGS:
                for runner in list(RUNNERS)[:: 1 if rep % 2 == 0 else -1]:
                    where = folder / f"{rep}-{config}-{runner}"
                    where.mkdir()
                    rates[config, runner].append(RUNNERS[runner](n, w, where, config == "series"))
            print(f"repeat {rep + 1} of {args.repeats} done", file=sys.stderr)
        base = w * statistics.median(serial)
        print(f"{n} baseline runs, {w} workers, {args.repeats} repeats: median runs/s (range)")
        print(f"(a) serial loop over sim.run       {spread(serial)}")
        for config in CONFIGS:
            swept, batch = rates[config, "sweep"], rates[config, "batch_run"]
            ratios = [a / b for a, b in zip(swept, batch, strict=True)]
            print(f"[{config}]")
            for label, r in (("(b) escsim sweep", swept), ("(c) mesa.batch_run", batch)):
                efficiency = statistics.median(r) / base
                print(f"  {label:<32} {spread(r)}   parallel efficiency {efficiency:.2f}")
            print(f"  sweep / batch_run, per repeat    {spread(ratios, 2)}x")
        small, large = args.memory_runs, 10 * args.memory_runs
        print("driver peak memory, hourly series kept:")
        for runner in RUNNERS:
            a, b = (peak_memory(runner, k, w, folder) for k in (small, large))
            print(f"  {runner:<10} {small} runs {a:6.0f} MB, {large} runs {b:6.0f} MB (ratio {b / a:.2f})")


if __name__ == "__main__":
    main()
