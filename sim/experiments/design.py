"""Experiment files: a scenario, the parameters to vary, a design, replicates and a seed.

An experiment is data (TOML), validated like a scenario. Its design points are generated with
``scipy.stats.qmc`` (Latin hypercube, Sobol', Halton), ``itertools.product`` (full grid) or SALib
(Saltelli for Sobol' indices, Morris trajectories). Sobol', Halton, Saltelli and the grid keep their
first points when ``points`` grow, and every design keeps its runs when ``replicates`` grow, so
extending leaves existing runs — and their seeds — unchanged.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import warnings
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from sim.scenario.checks import repeated_entries
from sim.scenario.loading import ScenarioError, ScenarioWarning, load_scenario, parse, read_toml
from sim.scenario.schema import Scenario, Strict, canonical, field

Key = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$|^[a-z_]+$")]
Scalar = float | int | str | bool


class Parameter(Strict):
    """One varied scenario value, addressed by its key path (as for ``--set``)."""

    min: float | None = field(None, "Lower bound (continuous designs).")
    max: float | None = field(None, "Upper bound (continuous designs).")
    levels: tuple[Scalar, ...] | None = field(None, "Values to take (grid designs).", min_length=1)
    integer: bool = field(False, "Round sampled values to whole numbers (e.g. hours).")

    @model_validator(mode="after")
    def _one_kind(self) -> Parameter:
        if self.levels is None and (self.min is None or self.max is None):
            raise ValueError("give either levels = [...] or both min and max")
        if self.levels is not None and (self.min is not None or self.max is not None):
            raise ValueError("give levels or min/max, not both")
        if self.min is not None and self.max is not None and not self.min < self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        return self

    @field_validator("levels")
    @classmethod
    def _one_type(cls, levels: tuple[Scalar, ...] | None) -> tuple[Scalar, ...] | None:
        """[0, 0.5, 1] is three floats, not int, float, int: one column type in every shard."""
        if levels is not None and any(type(v) is float for v in levels):
            return tuple(float(v) if type(v) is int else v for v in levels)
        return levels


class Design(Strict):
    kind: Literal["grid", "lhs", "sobol", "halton", "saltelli", "morris"] = field(
        "grid",
        "grid: every combination of levels; lhs/sobol/halton: `points` quasi-random points in the "
        "box; saltelli: N = `points` base samples for Sobol' indices (N·(2D+2) points); morris: "
        "`points` trajectories (r·(D+1) points).",
    )
    points: int = field(
        16, "Points (lhs/sobol/halton), base samples (saltelli), trajectories (morris).", ge=1, le=10_000_000
    )
    morris_levels: int = field(4, "Grid levels of the Morris design.", ge=2, le=20)


class Experiment(Strict):
    name: str = field(..., "Short id, used in the results folder name.")
    description: str = field("", "What the experiment asks.", max_length=20_000)
    scenario: str = field(..., "Scenario file, relative to this experiment file.")
    overrides: dict[Key, Scalar] = field({}, "Scenario values fixed for every run (key path → value).")
    parameters: dict[Key, Parameter] = field(..., "Varied values (key path → range or levels).", min_length=1)
    design: Design = field(Design(), "How design points are chosen.")
    replicates: int = field(10, "Seeded runs per design point.", ge=1, le=1_000_000)
    seed: int = field(1, "Experiment seed; each run's seed derives from it and (point, replicate).", ge=0)
    series: bool = field(False, "Also store hourly series (rungs, intensity, deaths) per run.")

    @model_validator(mode="before")
    @classmethod
    def _canonical(cls, raw: Any) -> Any:
        """Rungs by name as numbers (``schema.canonical``): a name and its number are one level."""
        if not isinstance(raw, dict):
            return raw
        raw = dict(raw)
        if isinstance(raw.get("overrides"), dict):
            raw["overrides"] = {k: canonical(k, v) for k, v in raw["overrides"].items()}
        if isinstance(raw.get("parameters"), dict):
            raw["parameters"] = {
                k: {**p, "levels": [canonical(k, v) for v in p["levels"]]}
                if isinstance(p, dict) and isinstance(p.get("levels"), list)
                else p
                for k, p in raw["parameters"].items()
            }
        return raw

    @model_validator(mode="after")
    def _fits_design(self) -> Experiment:
        grid = self.design.kind == "grid"
        for key, p in self.parameters.items():
            if grid and p.levels is None:
                raise ValueError(f"key `parameters.{key}`: a grid design needs levels = [...]")
            if not grid and p.levels is not None:
                raise ValueError(f"key `parameters.{key}`: a {self.design.kind} design needs min and max")
        return self


# keys that mark a scenario file given where an experiment file belongs
SCENARIO_ONLY = frozenset({*Scenario.model_fields, "extends"} - set(Experiment.model_fields))


def load_experiment(path: str | Path) -> tuple[Experiment, Scenario, Path]:
    """Read and validate an experiment file and the scenario it names (with its overrides)."""
    path = Path(path)
    raw = read_toml(path, "experiment file")
    marks = sorted(set(raw) & SCENARIO_ONLY, key=lambda k: (k not in ("extends", "states", "sectors"), k))
    if marks and not {"scenario", "parameters"} & set(raw):
        raise ScenarioError(
            f"{path}: a scenario file (it has `{'`, `'.join(marks[:3])}`…), not an experiment file; "
            "run it with `escsim run`, or name it in an experiment's `scenario` key"
        )
    exp = parse(Experiment, raw, path)
    found = list(repeated_entries(exp))
    if found:
        raise ScenarioError(f"{path}: " + "; ".join(found))
    scenario_path = (path.parent / exp.scenario).resolve()
    try:
        scenario = load_scenario(scenario_path, exp.overrides)
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: key `scenario` (with `overrides`): {exc}") from None
    for key, values in exp.parameters.items():  # every varied key must exist and accept its range
        for value in _extremes(values):
            try:
                with warnings.catch_warnings():  # probes only: the scenario itself has warned already
                    warnings.simplefilter("ignore", ScenarioWarning)
                    load_scenario(scenario_path, {**exp.overrides, key: value})
            except ScenarioError as exc:
                hint = "; add `integer = true` to sample whole numbers" if "whole number" in str(exc) else ""
                raise ScenarioError(f"{path}: parameters.{key} at {value!r}: {exc}{hint}") from None
    return exp, scenario, scenario_path


def _extremes(p: Parameter) -> list[Scalar]:
    """Values that probe a parameter: every level, or both bounds and a fractional inner value (a
    whole-number field needs ``integer = true``)."""
    if p.levels is not None:
        return list(p.levels)
    if p.integer:
        return [round(p.min), round(p.max)]
    return [p.min, p.max, p.min + 0.371 * (p.max - p.min)]


def salib_problem(exp: Experiment) -> dict[str, Any]:
    names = list(exp.parameters)
    return {
        "num_vars": len(names),
        "names": names,
        "bounds": [[exp.parameters[n].min, exp.parameters[n].max] for n in names],
    }


def unit_points(exp: Experiment) -> np.ndarray:
    """Design points scaled to [0, 1)^D (or level indices for a grid), one row each."""
    from scipy.stats import qmc

    d, n, kind = len(exp.parameters), exp.design.points, exp.design.kind
    seed = np.random.SeedSequence(exp.seed, spawn_key=(2**31,))  # the design's own stream
    if kind == "lhs":
        return qmc.LatinHypercube(d, rng=np.random.default_rng(seed)).random(n)
    if kind == "sobol":
        return qmc.Sobol(d, rng=np.random.default_rng(seed)).random(n)
    if kind == "halton":
        return qmc.Halton(d, rng=np.random.default_rng(seed)).random(n)
    raise ValueError(kind)


def design_points(exp: Experiment) -> list[dict[str, Scalar]]:
    """The design's points as {key path: value}, in a stable order."""
    names, params, kind = list(exp.parameters), list(exp.parameters.values()), exp.design.kind
    if kind == "grid":
        return [
            dict(zip(names, combo, strict=True)) for combo in itertools.product(*(p.levels for p in params))
        ]
    if kind == "saltelli":
        from SALib.sample import sobol as saltelli

        values = saltelli.sample(
            salib_problem(exp), exp.design.points, calc_second_order=False, seed=exp.seed
        )
    elif kind == "morris":
        from SALib.sample import morris

        values = morris.sample(
            salib_problem(exp), exp.design.points, num_levels=exp.design.morris_levels, seed=exp.seed
        )
    else:
        unit = unit_points(exp)
        lows = np.array([p.min for p in params])
        highs = np.array([p.max for p in params])
        values = lows + unit * (highs - lows)
    return [
        {n: (round(float(v)) if p.integer else float(v)) for n, p, v in zip(names, params, row, strict=True)}
        for row in values
    ]


def identity_hash(exp: Experiment) -> str:
    """What must not change under an existing results folder: all but the counts that may grow."""
    data = exp.model_dump(mode="json")
    data["replicates"] = None
    if exp.design.kind in ("sobol", "halton", "saltelli"):  # sequences that keep their prefix
        data["design"]["points"] = None
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
