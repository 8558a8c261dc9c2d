"""Benchmark: the same baseline runs through a serial loop, `escsim sweep` and `mesa.batch_run`.

    python experiments/bench_sweep.py [--runs 2000] [--workers 2] [--memory-runs 1000]

(a) a serial in-process loop over ``sim.run``; (b) the sweep engine (``sim.sweep.sweep``, what
``escsim sweep --workers W`` runs) on W local processes; (c) ``mesa.batch_run`` with
``number_processes=W`` on the same model and the same seeds. Prints runs/s of each, the ratios
sweep / batch_run and sweep / (W × serial) — the parallel efficiency — and the driver's peak memory
for a sweep of ``--memory-runs`` runs against one ten times larger (run as separate processes).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import mesa

import sim
from sim.model import EscalationModel
from sim.outcomes import outcomes
from sim.parallel import LocalProcesses
from sim.runner import run_seed
from sim.sweep import load_outcomes, sweep

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "sept2022.toml"
SCENARIO = sim.load_scenario(BASELINE)
SEED = 1


class BatchRunModel(EscalationModel):
    """The baseline as `mesa.batch_run` wants it: seeded by `rng`, outcomes in a DataCollector."""

    def __init__(self, rng: int) -> None:
        super().__init__(SCENARIO, rng)
        self.datacollector = mesa.DataCollector(model_reporters={"outcomes": outcomes})

    def step(self) -> None:
        super().step()
        if self.time >= SCENARIO.horizon_hours:
            self.running = False
            self.datacollector.collect(self)


def experiment_file(folder: Path, runs: int) -> Path:
    """A one-point experiment: the baseline, ``runs`` replicates."""
    path = folder / f"bench-{runs}.toml"
    path.write_text(
        f'''name = "bench"
scenario = "{BASELINE.as_posix()}"
replicates = {runs}
seed = {SEED}
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


def bench_sweep(runs: int, workers: int, folder: Path) -> float:
    exp = experiment_file(folder, runs)
    t0 = time.perf_counter()
    eng = LocalProcesses(workers)
    try:
        sweep(exp, folder / "sweep", eng)
    finally:
        eng.close()
    rate = runs / (time.perf_counter() - t0)
    assert len(load_outcomes(folder / "sweep")) == runs
    return rate


def bench_batch_run(runs: int, workers: int) -> float:
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # batch_run is on its way out in Mesa 4
        rows = mesa.batch_run(
            BatchRunModel,
            parameters={},
            rng=seeds(runs),
            number_processes=workers,
            max_steps=SCENARIO.horizon_hours + 1,
            data_collection_period=-1,
            display_progress=False,
        )
    rate = runs / (time.perf_counter() - t0)
    assert len(rows) == runs
    return rate


def peak_memory(runs: int, workers: int, folder: Path) -> float:
    """Peak RSS (MB) of the driver of a sweep of ``runs`` runs, as its own process."""
    exe = Path(sys.executable).with_name("escsim")
    out = folder / f"mem-{runs}"
    subprocess.run(
        [
            str(exe),
            "sweep",
            str(experiment_file(folder, runs)),
            "--workers",
            str(workers),
            "--out",
            str(out),
            "--quiet",
        ],
        check=True,
    )
    return json.loads((out / "manifest.json").read_text())["counts"]["peak_rss_mb"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-runs", type=int, default=1000)
    args = ap.parse_args()
    n, w = args.runs, args.workers
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        serial = bench_serial(n)
        print(f"(a) serial loop over sim.run      {serial:8.1f} runs/s")
        swept = bench_sweep(n, w, folder)
        print(f"(b) escsim sweep, {w} workers       {swept:8.1f} runs/s")
        batch = bench_batch_run(n, w)
        print(f"(c) mesa.batch_run, {w} processes   {batch:8.1f} runs/s")
        print(f"sweep / batch_run                  {swept / batch:8.2f}x   (target >= 1.5)")
        print(f"parallel efficiency sweep/({w}x serial) {swept / (w * serial):5.2f}    (target >= 0.9)")
        print(f"batch_run efficiency               {batch / (w * serial):8.2f}")
        small = peak_memory(args.memory_runs, w, folder)
        large = peak_memory(10 * args.memory_runs, w, folder)
        print(
            f"driver peak memory: {args.memory_runs} runs {small:.0f} MB, "
            f"{10 * args.memory_runs} runs {large:.0f} MB (ratio {large / small:.2f})"
        )


if __name__ == "__main__":
    main()
