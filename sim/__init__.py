"""escalation-sim: an agent-based simulation of interstate military escalation, on Mesa.

Python API::

    import sim
    scenario = sim.load_scenario("scenarios/sept2022.toml", ["mediators.USA.arrival_hour=24"])
    one = sim.run(scenario, seed=1)          # outcomes, event log, hourly series
    df = sim.run_ensemble(scenario, runs=200, seed=1, workers=2)
    row = sim.evaluate({"mediators.USA.arrival_hour": 24}, seed=1)  # one run's outcomes, a dict
"""

from sim.experiments.runner import RunResult, evaluate, run, run_ensemble, simulate_ensemble
from sim.model import EscalationModel
from sim.scenario import ScenarioError, load_scenario

__all__ = [
    "EscalationModel",
    "RunResult",
    "ScenarioError",
    "evaluate",
    "load_scenario",
    "run",
    "run_ensemble",
    "simulate_ensemble",
]
__version__ = "0.1.0"
