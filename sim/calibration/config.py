"""Calibration files (``calibration/*.toml``): crises, parameters with priors, distance, budget.

Parameters are dotted scenario keys (``combat.aimed_rate``); nothing here names a model parameter.
Every key is checked against the schema and every crisis; priors default to the schema's range.
Errors name the file and key in one line, as scenario errors do.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

from sim.scenario.loading import ScenarioError, load_scenario, parse, read_toml, with_overrides
from sim.scenario.schema import Scenario


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Prior(_Strict):
    """A prior over one parameter; bounds default to the schema's range."""

    prior: Literal["uniform", "loguniform", "normal", "beta"] = "uniform"
    low: float | None = None
    high: float | None = None
    mean: float | None = None  # normal
    sd: float | None = Field(None, gt=0)  # normal
    alpha: float | None = Field(None, gt=0)  # beta (on [low, high])
    beta: float | None = Field(None, gt=0)


class Distance(_Strict):
    kind: Literal["scaled", "adaptive"] = "scaled"
    weights: dict[str, float] = {}
    observables: list[str] | None = None  # default: every observation of every crisis
    # adaptive: each observable's weight is 1 / its spread ("std" or "mad") over the previous
    # population, capped at max_weight_ratio × the smallest weight; constant observables get 0.
    scale: Literal["std", "mad"] = "std"
    max_weight_ratio: float = Field(20.0, gt=1)


class Stop(_Strict):
    """When to stop. "Converged" (printed, and in convergence.json) means either: after at least
    ``min_generations``, with an effective sample size of at least ``min_ess`` × the population,
    no parameter's 5 %, 50 % or 95 % posterior quantile moved between the last two generations by
    more than ``tolerance`` × its prior range (log10 scale for log-uniform priors) beyond ``noise``
    Monte Carlo standard errors of the move — a move the population's own sampling error explains
    is no evidence that more generations would change the answer, and a degenerate population
    proves nothing — or ε reached ``min_epsilon``, or the acceptance rate fell below
    ``min_acceptance``. The other rules are budgets: stopping by them is not convergence."""

    tolerance: float = Field(0.05, gt=0, lt=1)
    noise: float = Field(2.0, ge=0, allow_inf_nan=False)
    min_generations: int = Field(3, ge=2)
    min_ess: float = Field(0.25, ge=0, le=1)
    min_acceptance: float = Field(0.0, ge=0, lt=1)
    min_epsilon: float = Field(0.0, ge=0)
    max_generations: int = Field(10, ge=1)
    max_simulations: int = Field(100_000, ge=1)
    max_minutes: float = Field(60.0, gt=0)


class CalibrationFile(_Strict):
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")
    crises: list[str] = Field(min_length=1)
    parameters: dict[str, Prior] = Field(min_length=1)
    observed: Literal["reported", "revised"] = "reported"
    population: int = Field(200, ge=2)
    replicates: int = Field(1, ge=1)
    seed: int = Field(1, ge=0)
    epsilon_quantile: float = Field(0.5, gt=0, lt=1)
    predictive: int = Field(200, ge=10)  # posterior predictive draws per crisis
    distance: Distance = Distance()
    stop: Stop = Stop()


@dataclass(frozen=True)
class Bounded:
    """A resolved prior: its kind and numbers, all finite."""

    key: str
    kind: str
    low: float
    high: float
    mean: float = math.nan
    sd: float = math.nan
    alpha: float = math.nan
    beta: float = math.nan

    @property
    def name(self) -> str:
        """Its name in pyabc: a log-uniform parameter is inferred as log10 of its value, where
        pyabc's Gaussian kernels fit it (its values span decades)."""
        return f"log10:{self.key}" if self.kind == "loguniform" else self.key

    def natural(self, value):
        """The scenario value of pyabc's value (works on arrays too)."""
        return 10.0**value if self.kind == "loguniform" else value


@dataclass(frozen=True)
class Calibration:
    path: Path
    spec: CalibrationFile
    crises: dict[str, Scenario]  # by scenario name
    files: dict[str, Path]
    priors: tuple[Bounded, ...]

    @property
    def name(self) -> str:
        return self.spec.name

    def digest(self) -> str:
        """What a resumed history must match: the resolved file and the crises' content."""
        blob = {  # budgets and the predictive check may change between sessions
            "spec": self.spec.model_dump(mode="json", exclude={"stop", "predictive"}),
            "crises": {k: s.model_dump(mode="json") for k, s in self.crises.items()},
            "pyabc_names": [p.name for p in self.priors],
        }
        return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()[:16]

    def with_stop(self, **changes) -> Calibration:
        """The same calibration with other budgets (they are not part of its digest)."""
        spec = self.spec.model_copy(update={"stop": self.spec.stop.model_copy(update=changes)})
        return Calibration(self.path, spec, self.crises, self.files, self.priors)

    def split(self, crisis: str) -> tuple[Calibration, Calibration]:
        """(every crisis but one, that one): for leave-one-crisis-out."""
        if crisis not in self.crises:
            raise ScenarioError(
                f"--leave-out {crisis}: not a crisis of {self.path} ({', '.join(self.crises)})"
            )
        if len(self.crises) < 2:
            raise ScenarioError(f"--leave-out {crisis}: {self.path} has no other crisis to fit on")
        return self._only([k for k in self.crises if k != crisis]), self._only([crisis])

    def _only(self, names: list[str]) -> Calibration:
        return Calibration(
            self.path,
            self.spec,
            {k: self.crises[k] for k in names},
            {k: self.files[k] for k in names},
            self.priors,
        )


def load_calibration(path: str | Path) -> Calibration:
    path = Path(path)
    raw = _with_base(path, read_toml(path, "calibration file"))
    if "crises" not in raw and {"states", "sectors"} & set(raw):
        raise ScenarioError(
            f"{path}: a scenario file (it has `states`, `sectors`…), not a calibration file; name it in "
            "a calibration file's `crises` key"
        )
    spec = parse(CalibrationFile, raw, path)
    files = [path.parent / c for c in spec.crises]
    scenarios = [load_scenario(f) for f in files]
    crises = {s.name: s for s in scenarios}
    if len(crises) < len(scenarios):
        raise ScenarioError(f"{path}: key `crises`: two files give the same scenario name")
    priors = tuple(_resolve(path, key, p, scenarios) for key, p in spec.parameters.items())
    for key in spec.distance.weights:
        if spec.distance.observables is not None and key not in spec.distance.observables:
            raise ScenarioError(f"{path}: key `distance.weights.{key}`: not among distance.observables")
    return Calibration(path, spec, crises, {s.name: f for s, f in zip(scenarios, files, strict=True)}, priors)


def _with_base(path: Path, raw: dict, seen: tuple[Path, ...] = ()) -> dict:
    """``extends = "other.toml"``: that file's keys, then this file's (tables merged key by key;
    the base's crisis paths stay relative to the base)."""
    if "extends" not in raw:
        return raw
    base_path = path.parent / str(raw.pop("extends"))
    if base_path.resolve() in seen or base_path.resolve() == path.resolve():
        raise ScenarioError(f"{path}: key `extends`: {base_path} extends itself")
    if not base_path.is_file():
        raise ScenarioError(f"{path}: key `extends`: no file {base_path}")
    base = _with_base(base_path, read_toml(base_path, "calibration file"), (*seen, path.resolve()))
    if "crises" in base:
        base["crises"] = [os.path.relpath(base_path.parent / c, path.parent) for c in base["crises"]]
    merged = dict(base)
    for key, value in raw.items():
        both = isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "parameters"
        merged[key] = {**merged[key], **value} if both else value
    return merged


def schema_field(key: str) -> FieldInfo | None:
    """The schema field a dotted scenario key addresses (ids inside tables are skipped)."""
    model: type[BaseModel] | None = Scenario
    info = None
    for part in key.split("."):
        if model is None:
            return None
        info = model.model_fields.get(part)
        if info is None:
            continue  # an id in a table of entries
        args = getattr(info.annotation, "__args__", ())
        model = next(
            (a for a in (info.annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None
        )
    return info if model is None else None


def schema_range(info: FieldInfo) -> tuple[float, float]:
    """The closed hull of a field's allowed values (open ends are infinite)."""

    def bound(names: tuple[str, str]) -> list[float]:
        return [getattr(m, a) for m in info.metadata for a in names if getattr(m, a, None) is not None]

    return max(bound(("ge", "gt")), default=-math.inf), min(bound(("le", "lt")), default=math.inf)


def _resolve(path: Path, key: str, p: Prior, scenarios: list[Scenario]) -> Bounded:
    where = f"{path}: key `parameters.{key}`"
    info = schema_field(key)
    if info is None:
        raise ScenarioError(f"{where}: not a scenario value (see docs/parameters.md)")
    if info.annotation is not float:
        raise ScenarioError(f"{where}: only real-valued parameters can be inferred ({info.annotation})")
    for s in scenarios:  # the key must exist in every crisis (e.g. a state id)
        try:
            with_overrides(s, {key: info.default if info.default is not None else 0.0}, str(path))
        except ScenarioError as exc:
            raise ScenarioError(f"{where}: cannot be set in crisis {s.name} ({exc})") from None
    s_low, s_high = schema_range(info)
    low = s_low if p.low is None else p.low
    high = s_high if p.high is None else p.high
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ScenarioError(f"{where}: the schema gives no finite range; expected `low` and `high`")
    if not s_low <= low < high <= s_high:
        raise ScenarioError(f"{where}: expected {s_low} ≤ low < high ≤ {s_high}, got [{low}, {high}]")
    if p.prior == "loguniform" and low <= 0:
        raise ScenarioError(f"{where}: a log-uniform prior needs low > 0, got {low}")
    if p.prior == "normal" and (p.mean is None or p.sd is None):
        raise ScenarioError(f"{where}: a normal prior needs `mean` and `sd`")
    if p.prior == "beta" and (p.alpha is None or p.beta is None):
        raise ScenarioError(f"{where}: a beta prior needs `alpha` and `beta`")
    given = {k: v for k in ("mean", "sd", "alpha", "beta") if (v := getattr(p, k)) is not None}
    return Bounded(key, p.prior, low, high, **given)
