"""Benchmark: the cost of one baseline run and of one agent-step, and Mesa's share of it.

    python experiments/bench_run.py [--scenario scenarios/sept2022.toml] [--runs 200]

Prints the median wall time of one full-horizon run (model build included), the cost per
agent-step (run time / (agents × hours)), and — from a cProfile of the same runs — the share of
time spent inside Mesa itself (framework overhead) versus the model's own code, numpy and the rest.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from pathlib import Path

import mesa
import numpy as np

import sim
from sim.experiments.runner import run_seed
from sim.model.escalation import EscalationModel

ROOT = Path(__file__).resolve().parent.parent


def timed_runs(scenario, runs: int) -> list[float]:
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        EscalationModel(scenario, run_seed(1, i)).run()
        times.append(time.perf_counter() - t0)
    return times


def profile_shares(scenario, runs: int) -> dict[str, float]:
    """Share of total time by where the code lives (own time of each function)."""
    prof = cProfile.Profile()
    prof.enable()
    for i in range(runs):
        EscalationModel(scenario, run_seed(1, i)).run()
    prof.disable()
    stats = pstats.Stats(prof).stats
    mesa_dir, sim_dir, np_dir = (str(Path(m.__file__).parent) for m in (mesa, sim, np))
    buckets = {"mesa (framework)": 0.0, "model (sim/)": 0.0, "numpy": 0.0, "other": 0.0}
    for (filename, _, _), (_, _, own, _, _) in stats.items():
        if filename.startswith(mesa_dir):
            buckets["mesa (framework)"] += own
        elif filename.startswith(sim_dir):
            buckets["model (sim/)"] += own
        elif filename.startswith(np_dir):
            buckets["numpy"] += own
        else:
            buckets["other"] += own
    total = sum(buckets.values())
    return {k: v / total for k, v in buckets.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios/sept2022.toml"))
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    scenario = sim.load_scenario(args.scenario)
    timed_runs(scenario, 5)  # warm-up: imports, caches
    times = timed_runs(scenario, args.runs)
    model = EscalationModel(scenario, 1)
    agents, hours = len(model.agents), scenario.horizon_hours
    median = statistics.median(times)
    print(
        f"scenario {scenario.name}: {agents} agents, {len(model.sectors)} sectors, "
        f"{len(model.fronts)} fronts, {hours} hourly steps"
    )
    print(
        f"one run (build + {hours} h): median {median * 1e3:.1f} ms, "
        f"p90 {np.percentile(times, 90) * 1e3:.1f} ms over {args.runs} runs"
    )
    print(
        f"one agent-step: {median / (agents * hours) * 1e6:.1f} µs; "
        f"one model step: {median / hours * 1e6:.0f} µs"
    )
    print(f"runs per second on one core: {1 / median:.0f}")
    shares = profile_shares(scenario, max(20, args.runs // 4))
    print("where the time goes (cProfile, own time):")
    for name, share in shares.items():
        print(f"  {name:<18} {share:6.1%}")


if __name__ == "__main__":
    main()
