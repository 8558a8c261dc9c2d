"""Benchmark: the cost of one baseline run and of one agent-step, and Mesa's share of it.

    python experiments/bench_run.py [--scenario scenarios/sept2022.toml] [--runs 200]

Prints the median wall time of one full-horizon run (model build included), the cost per
agent-step (run time / (agents × hours)), and — from a cProfile of the same runs — the share of
time spent inside Mesa itself (framework overhead) versus the model's own code, numpy and the rest.
Then the cost of one run of a synthetic 45-day, 6-party scenario (three dyads, each on its own
front of 3 × 4 sectors, opening offensives on days 1, 3 and 8, three mediators, one alliance),
generated here (``synthetic_scenario``); target: under 0.3 s.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import statistics
import time
from pathlib import Path

import mesa
import numpy as np

import sim
from sim.experiments.runner import run_seed
from sim.model.escalation import EscalationModel
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent


def timed_runs(scenario, runs: int, clock=time.perf_counter) -> list[float]:
    times = []
    for i in range(runs):
        t0 = clock()
        EscalationModel(scenario, run_seed(1, i)).run()
        times.append(clock() - t0)
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


def synthetic_scenario(days: int = 45, dyads: int = 3, cols: int = 3, depth: int = 2) -> Scenario:
    """``dyads`` pairs of states (2·dyads parties), each pair on its own front of ``cols`` sectors
    with ``depth`` rows behind it on each side; the first state of each pair opens an offensive."""
    states, sectors, events = {}, {}, {}
    for d in range(dyads):
        a, b = f"A{d}", f"B{d}"
        states[a] = {
            "name": f"Attacker {d}",
            "adversary": b,
            "forces": 20000,
            "drones": 2.0,
            "war_aim": "coercive",
            "demands": ["terms"],
            "stake": 3.0,
        }
        states[b] = {
            "name": f"Defender {d}",
            "adversary": a,
            "forces": 14000,
            "war_aim": "defensive",
            "concessions": {"terms": 12.0},
            "max_rung": 4,
            "reserves": 6000,
        }
        rows = 2 * depth
        for r in range(rows):
            for c in range(cols):
                down = [f"D{d}_{r + 1}_{c}"] if r + 1 < rows else []
                right = [f"D{d}_{r}_{c + 1}"] if c + 1 < cols else []
                sectors[f"D{d}_{r}_{c}"] = {
                    "name": f"front {d} row {r} col {c}",
                    "owner": a if r < depth else b,
                    "area_km2": 60.0,
                    "population": 3000 * (r % depth + 1),
                    "border": r in (depth - 1, depth),
                    "neighbours": down + right,
                }
        events[f"attack{d}"] = {
            "hour": 24 * (0, 2, 7)[d % 3],
            "kind": "offensive",
            "actor": a,
            "target": b,
            "rung": 5,
        }
    mediators = {
        f"M{i}": {
            "name": f"Mediator {i}",
            "style": "formulative",
            "leverage": 0.5,
            "arrival_hour": 6 * i,
            "proposal_interval_hours": 8,
        }
        for i in range(3)
    }
    alliances = {"PACT": {"name": "Pact", "members": ["B0", "B1"], "leader": "B1"}}
    return Scenario.model_validate(
        {
            "name": "synthetic",
            "title": f"{2 * dyads} parties, {days} days",
            "start": dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
            "horizon_hours": 24 * days,
            "states": states,
            "sectors": sectors,
            "events": events,
            "mediators": mediators,
            "alliances": alliances,
        }
    )


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
    cpu = statistics.median(timed_runs(scenario, args.runs, clock=time.process_time))
    print(
        f"one run (build + {hours} h): median {median * 1e3:.1f} ms, "
        f"p90 {np.percentile(times, 90) * 1e3:.1f} ms over {args.runs} runs; CPU median {cpu * 1e3:.1f} ms"
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
    big = synthetic_scenario()
    runs = max(10, args.runs // 10)
    timed_runs(big, 2)
    wall = statistics.median(timed_runs(big, runs))
    cpu = statistics.median(timed_runs(big, runs, clock=time.process_time))
    print(
        f"synthetic {len(big.states)}-party, {big.horizon_hours // 24}-day scenario "
        f"({len(big.sectors)} sectors), median per run over {runs} runs: wall {wall * 1e3:.0f} ms, "
        f"CPU {cpu * 1e3:.0f} ms (target < 300 ms; on a shared machine CPU time is the fair figure)"
    )


if __name__ == "__main__":
    main()
