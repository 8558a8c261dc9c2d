"""Benchmark: the cost of one baseline run and of one agent-step, and Mesa's share of it.

    python experiments/bench_run.py [--scenario scenarios/sept2022.toml] [--runs 200]

Prints, for one full-horizon run (model build included) of the scenario: median and p90 wall time
and median CPU time, both as the sweep runner builds the model (``collect=False``: quiet hours are
skipped, see docs/ODD.md "Scheduling") and with Mesa's DataCollector kept each hour
(``collect=True``, as ``mesa.batch_run`` and the classroom page use it: every hour is stepped); how
many hours a run skips, and the ratio of its CPU time to the same code stepping every hour. Then the
cost per agent-step, and — from a cProfile of the same runs — where the time goes: inside Mesa
(framework overhead), the model's own code, numpy, C builtins the model calls, ``copy`` (the
DataCollector's deepcopy of every reporter's value), networkx (the sector graph, built per run)
and the rest. Then the same for a synthetic 45-day, 6-party scenario (three dyads, each on its own
front of 3 × 4 sectors, opening offensives on days 1, 3 and 8, three mediators, one alliance),
generated here (``synthetic_scenario``); target: under 0.3 s. Other processes share the machine's
cores, so CPU time (``time.process_time``) is the figure to compare.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import datetime as dt
import pstats
import statistics
import time
from pathlib import Path

import mesa
import networkx
import numpy as np

import sim
from sim.experiments.runner import run_seed
from sim.model.escalation import EscalationModel
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent


class SteppedModel(EscalationModel):
    """The same model stepping every hour (no quiet hour skipped): the reference for the ratio."""

    def skip_quiet_hours(self) -> int:
        return 1


def timed_runs(
    scenario, runs: int, clock=time.perf_counter, collect=True, model=EscalationModel
) -> list[float]:
    times = []
    for i in range(runs):
        t0 = clock()
        model(scenario, run_seed(1, i), collect=collect).run()
        times.append(clock() - t0)
    return times


def skipped_hours(scenario, runs: int) -> float:
    """Mean hours a run skips (as the sweep runner builds it)."""
    return statistics.mean(
        EscalationModel(scenario, run_seed(1, i), collect=False).run().skipped_hours for i in range(runs)
    )


def profile_shares(scenario, runs: int, collect: bool) -> dict[str, float]:
    """Share of total time by where the code lives (own time of each function)."""
    prof = cProfile.Profile()
    prof.enable()
    for i in range(runs):
        EscalationModel(scenario, run_seed(1, i), collect=collect).run()
    prof.disable()
    stats = pstats.Stats(prof).stats
    places = {
        "mesa (framework)": str(Path(mesa.__file__).parent),
        "model (sim/)": str(Path(sim.__file__).parent),
        "numpy": str(Path(np.__file__).parent),
        "networkx (graph)": str(Path(networkx.__file__).parent),
        "copy (deepcopy)": str(Path(copy.__file__)),
        "C builtins": "~",  # cProfile's file name for dict.get, sum, max, isinstance …
    }
    buckets = dict.fromkeys([*places, "other"], 0.0)
    for (filename, _, _), (_, _, own, _, _) in stats.items():
        name = next((k for k, where in places.items() if filename.startswith(where)), "other")
        buckets[name] += own
    total = sum(buckets.values())
    return {k: v / total for k, v in buckets.items()}


def report(scenario, runs: int) -> float:
    """Print the run costs of ``scenario``; returns the median CPU time with the DataCollector."""
    hours = scenario.horizon_hours
    for collect, how in ((False, "as the sweep runner runs it"), (True, "with Mesa's DataCollector")):
        timed_runs(scenario, 2, collect=collect)  # warm-up: imports, caches
        times = timed_runs(scenario, runs, collect=collect)
        cpu = collected = statistics.median(timed_runs(scenario, runs, time.process_time, collect))
        print(
            f"  one run (build + {hours} h) {how}: median {statistics.median(times) * 1e3:.1f} ms, "
            f"p90 {np.percentile(times, 90) * 1e3:.1f} ms wall; CPU median {cpu * 1e3:.1f} ms"
        )
    cpu = statistics.median(timed_runs(scenario, runs, time.process_time, False))
    stepped = statistics.median(timed_runs(scenario, runs, time.process_time, False, SteppedModel))
    skipped = skipped_hours(scenario, min(runs, 50))
    print(
        f"  quiet hours skipped: {skipped:.1f} of {hours} per run; CPU {cpu * 1e3:.1f} ms against "
        f"{stepped * 1e3:.1f} ms stepping every hour (ratio {cpu / stepped:.2f})"
    )
    return collected


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
    model = EscalationModel(scenario, 1)
    agents, hours = len(model.agents), scenario.horizon_hours
    print(
        f"scenario {scenario.name}: {agents} agents, {len(model.sectors)} sectors, "
        f"{len(model.fronts)} fronts, {hours} hours; {args.runs} runs each"
    )
    median = report(scenario, args.runs)
    print(
        f"  with the DataCollector, CPU: one agent-step {median / (agents * hours) * 1e6:.1f} µs; "
        f"one model hour: {median / hours * 1e6:.0f} µs; runs per second on one core: {1 / median:.0f}"
    )
    for collect in (False, True):
        shares = profile_shares(scenario, max(20, args.runs // 4), collect)
        print(f"  where the time goes (cProfile, own time; collect={collect}):")
        for name, share in shares.items():
            print(f"    {name:<18} {share:6.1%}")
    big = synthetic_scenario()
    runs = max(10, args.runs // 10)
    print(
        f"synthetic {len(big.states)}-party, {big.horizon_hours // 24}-day scenario "
        f"({len(big.sectors)} sectors), {runs} runs each (target < 300 ms):"
    )
    report(big, runs)
    print("(other processes share this machine's cores: CPU time is the figure to compare)")


if __name__ == "__main__":
    main()
