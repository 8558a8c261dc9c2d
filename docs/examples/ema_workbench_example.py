"""Exploring the Sept-2022 baseline with the EMA Workbench, through ``sim.evaluate``.

    python docs/examples/ema_workbench_example.py      # 50 Latin-hypercube scenarios

``sim.evaluate(params, seed)`` runs the model once with some scenario values replaced and returns
the outcome contract as a dict. The EMA Workbench calls a function with keyword arguments, so each
uncertainty names, as its ``variable_name``, the scenario key in its keyword-safe spelling
(``mediators__USA__arrival_hour`` for ``mediators.USA.arrival_hour``); each outcome names the
outcome column it reads (``military_deaths.ARM``). A test runs this file (tests/test_mesa_api.py).
"""

from __future__ import annotations

from ema_workbench import IntegerParameter, Model, RealParameter, ScalarOutcome, perform_experiments

import sim


def escalation(seed: int = 1, **params) -> dict:
    """One run of the baseline with ``params`` (keyword-safe scenario keys) replaced."""
    return sim.evaluate(params, seed=seed)


def model() -> Model:
    m = Model("sept2022", function=escalation)
    m.uncertainties = [
        RealParameter("envoy_arrival", 0, 48, variable_name="mediators__USA__arrival_hour"),
        RealParameter("csto_distraction", 0.0, 1.0, variable_name="alliances__CSTO__leader_distraction"),
        RealParameter("baku_resolve", 0.6, 1.4, variable_name="states__AZE__resolve_mean"),
        IntegerParameter("seed", 0, 10_000),  # replicate noise as one more uncertainty
    ]
    m.outcomes = [
        ScalarOutcome("fighting_hours"),
        ScalarOutcome("military_deaths_ARM", variable_name="military_deaths.ARM"),
        ScalarOutcome("territory_lost_ARM", variable_name="territory_lost_km2.ARM"),
    ]
    return m


def run(scenarios: int = 50, seed: int = 1):
    """``scenarios`` Latin-hypercube draws of the uncertainties, run one after another."""
    return perform_experiments(model(), scenarios=scenarios, uncertainty_sampling_kwargs={"rng": seed})


if __name__ == "__main__":
    experiments, outcomes = run()
    frame = experiments[["envoy_arrival", "csto_distraction", "baku_resolve"]].assign(
        fighting_hours=outcomes["fighting_hours"], military_deaths_ARM=outcomes["military_deaths_ARM"]
    )
    print(frame.describe().round(2))
    print(frame.corr()["fighting_hours"].round(2))
