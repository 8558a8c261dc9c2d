"""Cost of `escsim calibrate`: simulations per second, the share of time in the model vs in pyabc
and the driver, the parallel efficiency on 2 workers (target ≥ 0.85), and how many simulations of
the library fit in 60 minutes at the measured rate (target ≥ 50,000).

The same small calibration (calibration/crises.toml's five crises and priors, a small population,
a fixed number of generations) runs on one worker and on two; the populations are identical (the
sampler is order-deterministic), so the ratio of wall times is the speed-up. The model's share is
the time of the same number of simulations run directly, without pyabc, over the one-worker wall
time. Other processes on the machine slow the two-worker run most: the load is printed with the
figures.

    .venv/bin/python experiments/bench_calibrate.py [--population 40] [--generations 2]
        [--file calibration/crises.toml]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import psutil
import pyabc

from sim.calibration.config import load_calibration
from sim.calibration.fit import calibrate, generations, runs_per_proposal
from sim.calibration.report import posterior_frame
from sim.experiments.engines import engine
from sim.experiments.runner import simulate
from sim.scenario.loading import with_overrides

ROOT = Path(__file__).resolve().parent.parent


def config(folder: Path, source: Path, population: int, gens: int) -> Path:
    path = folder / "bench.toml"
    path.write_text(
        f'extends = "{source.resolve()}"\nname = "bench"\npopulation = {population}\n'
        f"[stop]\nmax_generations = {gens}\ntolerance = 1e-9\nnoise = 0\nmin_acceptance = 0.0\n",
        encoding="utf-8",
    )
    return path


def cpu_seconds(eng) -> float:
    """CPU time of this process and of the engine's worker processes so far."""
    pool = getattr(eng, "pool", None)
    procs = [psutil.Process()] + [psutil.Process(pid) for pid in (pool._processes if pool else {})]
    return sum(sum(p.cpu_times()[:2]) for p in procs)


def timed(path: Path, workers: int, out: Path) -> tuple[float, float, pyabc.History]:
    """(wall seconds, CPU seconds of the driver and the workers, history)."""
    cal = load_calibration(path)
    eng = engine(workers)
    try:
        # start every worker, with pyabc imported (a few seconds once per session), outside the timing
        for f in [eng.submit(exec, "import pyabc, time; time.sleep(0.5)") for _ in range(workers)]:
            f.result()
        t0, c0 = time.perf_counter(), cpu_seconds(eng)
        history = calibrate(cal, out, eng, report=lambda _: None)
        return time.perf_counter() - t0, cpu_seconds(eng) - c0, history
    finally:
        eng.close()


def model_seconds(path: Path, history: pyabc.History) -> float:
    """Time of the model alone for as many runs, at posterior particles' parameter values."""
    cal = load_calibration(path)
    post = posterior_frame(cal, history)
    runs = generations(history)[-1].total_proposals * runs_per_proposal(cal)
    rounds = max(1, min(runs // len(cal.crises), 8))
    t0 = time.perf_counter()
    for i in range(rounds):
        params = post.iloc[i % len(post)][[p.key for p in cal.priors]].to_dict()
        for scenario in cal.crises.values():
            simulate(with_overrides(scenario, params), i)
    return (time.perf_counter() - t0) / (rounds * len(cal.crises)) * runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path, default=ROOT / "calibration" / "crises.toml")
    ap.add_argument("--population", type=int, default=40)
    ap.add_argument("--generations", type=int, default=2)
    args = ap.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = config(folder, args.file, args.population, args.generations)
        one, cpu_one, history = timed(path, 1, folder / "one")
        two, cpu_two, _ = timed(path, 2, folder / "two")
        sims = generations(history)[-1].total_proposals * runs_per_proposal(load_calibration(path))
        model = model_seconds(path, history)
    load = (load[0] + os.getloadavg()[0]) / 2
    print(f"{args.file.name}: {sims} simulations ({args.generations} generations of {args.population})")
    print(f"1 worker : {one:6.1f} s, {sims / one:5.2f} simulations/s")
    print(f"2 workers: {two:6.1f} s, {sims / two:5.2f} simulations/s")
    print(f"time in the model {model / one:.0%}, in pyabc and the driver {1 - model / one:.0%} (1 worker)")
    print(f"parallel efficiency on 2 workers: {one / (2 * two):.2f} (target ≥ 0.85)")
    print(
        f"work efficiency (CPU of 1 worker / CPU of driver + 2 workers): {cpu_one / cpu_two:.2f}; "
        f"CPU share of the wall time: {cpu_one / one:.0%} (1 worker), {cpu_two / (2 * two):.0%} (2 workers): "
        "below 100 % the machine was busy with other work"
    )
    print(
        f"in 60 minutes on 2 workers: {sims / two * 3600:,.0f} simulations (target ≥ 50,000); "
        f"load average ≈ {load:.1f} on {os.cpu_count()} cores during the measurement"
    )


if __name__ == "__main__":
    main()
