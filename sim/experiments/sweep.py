"""Sweeps: every (design point, replicate) of an experiment, streamed to a results folder, resumable.

A sweep is the plan of an experiment file: one point per design point, ``replicates`` runs each,
run (point, replicate) seeded from the experiment seed and its identity. The folder, its checks,
resume and refusals are those of every results folder (``sim.experiments.results``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sim.calibration.posterior import Posterior
from sim.experiments.design import design_points, identity_hash, load_experiment
from sim.experiments.engines import Engine
from sim.experiments.results import Plan, Point, Report, identity, posterior_id, write_results
from sim.scenario.loading import scenario_hash


def sweep_plan(experiment_path: str | Path, posterior: Posterior | None = None) -> Plan:
    """The plan of an experiment file (validated, scenario included). With a posterior, run
    (point, replicate) draws its calibrated parameters from it, seeded by the experiment seed and
    that identity; a parameter the design sets keeps the design's value (it is not drawn)."""
    path = Path(experiment_path)
    exp, scenario, scenario_path = load_experiment(path)
    points = tuple(Point(0, params, params) for params in design_points(exp))
    if posterior is not None:
        posterior = posterior.without([*points[0].columns, *exp.overrides])
    return Plan(
        command="sweep",
        scenarios=(scenario,),
        sources=(str(scenario_path),),
        points=points,
        replicates=exp.replicates,
        seed=exp.seed,
        common_seeds=False,
        series=exp.series,
        identity=identity(identity_hash(exp), scenario_hash(scenario))
        if posterior is None  # folders written before --posterior keep their identity
        else identity(identity_hash(exp), scenario_hash(scenario), posterior_id(posterior)),
        spec=exp.model_dump(mode="json") | ({"posterior": posterior_id(posterior)} if posterior else {}),
        text=path.read_text(encoding="utf-8"),
        overrides=exp.overrides,
        posterior=posterior,
    )


def sweep(
    experiment_path: str | Path,
    out: str | Path,
    eng: Engine,
    engine_name: str = "",
    progress: Callable[[int, int], Callable[[int], None]] | None = None,
    notify: Callable[[str], None] | None = None,
    overwrite: bool = False,
) -> Report:
    """Run (or resume, or extend) an experiment into the results folder ``out``."""
    return write_results(
        sweep_plan(experiment_path),
        out,
        eng,
        overwrite=overwrite,
        engine_name=engine_name,
        progress=progress,
        notify=notify,
    )
