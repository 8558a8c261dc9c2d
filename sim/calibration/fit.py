"""ABC-SMC over the crisis library with pyabc, one generation at a time, resumable from its history.

Every generation is run by a fresh ``ABCSMC`` loaded from ``history.db``: an uninterrupted
calibration takes exactly the path a resumed one takes, so ``kill -9`` loses at most the
generation in progress and the posterior does not depend on where it was interrupted.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pyabc

from sim.analysis.outcomes import outcome_columns
from sim.calibration.config import Bounded, Calibration
from sim.calibration.observations import Observation, observed
from sim.calibration.sampler import OrderedSampler
from sim.calibration.summaries import Simulator
from sim.experiments.engines import Engine
from sim.experiments.storage import CALIBRATION_CODE, atomic_file, git_commit, made_by_other_code, model_code
from sim.scenario.loading import ScenarioError

logging.getLogger("ABC").setLevel(logging.WARNING)  # our own line per generation instead
logging.getLogger("pyabc").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Generation:
    t: int
    epsilon: float
    accepted: int
    proposals: int
    total_proposals: int
    ess: float
    seconds: float

    def line(self, runs_per_proposal: int) -> str:
        return (
            f"generation {self.t}: ε = {self.epsilon:.4g}, acceptance {self.accepted / self.proposals:.1%} "
            f"({self.accepted}/{self.proposals}), ESS {self.ess:.0f}, "
            f"{self.total_proposals * runs_per_proposal:,} simulations so far, {self.seconds:.1f} s"
        )


def observations(cal: Calibration) -> list[Observation]:
    """The observations the distance uses, checked against each crisis's outcome columns."""
    wanted = cal.spec.distance.observables
    found = []
    for scenario in cal.crises.values():
        columns = set(outcome_columns(scenario))
        for obs in observed(scenario, cal.spec.observed):
            if wanted is not None and obs.column not in wanted:
                continue
            if all(c in columns for c in obs.columns):  # else not modelled (yet): not calibrated on
                found.append(obs)
    if not found:
        raise ScenarioError(f"{cal.path}: no observations to calibrate on (crises: {', '.join(cal.crises)})")
    return found


def prior_rv(p: Bounded) -> pyabc.RV:
    if p.kind == "uniform":
        return pyabc.RV("uniform", p.low, p.high - p.low)
    if p.kind == "loguniform":
        return pyabc.RV("loguniform", p.low, p.high)
    if p.kind == "normal":
        a, b = (p.low - p.mean) / p.sd, (p.high - p.mean) / p.sd
        return pyabc.RV("truncnorm", a, b, loc=p.mean, scale=p.sd)
    return pyabc.RV("beta", p.alpha, p.beta, loc=p.low, scale=p.high - p.low)


def abc_rv(p: Bounded) -> pyabc.RV:
    """The prior on pyabc's scale: a log-uniform parameter as uniform on log10 scale."""
    if p.kind == "loguniform":
        low, high = math.log10(p.low), math.log10(p.high)
        return pyabc.RV("uniform", low, high - low)
    return prior_rv(p)


def prior(cal: Calibration) -> pyabc.Distribution:
    return pyabc.Distribution(**{p.name: abc_rv(p) for p in cal.priors})


def _abc(cal: Calibration, obs: list[Observation], sampler: OrderedSampler) -> pyabc.ABCSMC:
    spec = cal.spec.distance
    weights = {o.key: spec.weights.get(o.column, 1.0) for o in obs}
    if spec.kind == "adaptive":
        scale = {"std": pyabc.distance.scale.standard_deviation, "mad": pyabc.distance.scale.mad}
        distance = pyabc.AdaptivePNormDistance(
            p=1,
            fixed_weights=weights,
            scale_function=scale[spec.scale],
            max_scale_weight_ratio=spec.max_weight_ratio,
        )
    else:
        distance = pyabc.PNormDistance(p=1, fixed_weights=weights)
    return pyabc.ABCSMC(
        Simulator(cal.crises, obs, cal.spec.replicates, cal.priors),
        prior(cal),
        distance,
        population_size=cal.spec.population,
        sampler=sampler,
        eps=pyabc.QuantileEpsilon(alpha=cal.spec.epsilon_quantile, weighted=True),
    )


def generations(history: pyabc.History) -> list[Generation]:
    pops = history.get_all_populations()
    pops = pops[pops.t >= 0]
    done, total = [], 0
    for row in pops.itertuples():
        _, w = history.get_distribution(m=0, t=int(row.t))
        total += int(row.samples)
        ess = float(1.0 / np.sum(np.asarray(w) ** 2))
        wall = float(row.wall_time or 0.0)
        done.append(
            Generation(int(row.t), float(row.epsilon), int(row.particles), int(row.samples), total, ess, wall)
        )
    return done


def runs_per_proposal(cal: Calibration) -> int:
    return cal.spec.replicates * len(cal.crises)


QUANTILES = (0.05, 0.5, 0.95)


def weighted_quantiles(x: np.ndarray, w: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Quantiles of a weighted sample: the smallest x whose cumulative weight reaches each p."""
    order = np.argsort(x)
    cum = np.cumsum(w[order]) / w.sum()
    return x[order][np.minimum(np.searchsorted(cum, np.clip(probs, 0.0, 1.0)), len(x) - 1)]


def quantiles_with_error(x: np.ndarray, w: np.ndarray, probs=QUANTILES) -> tuple[np.ndarray, np.ndarray]:
    """Weighted quantiles and their Monte Carlo standard errors. The error is the spread of the
    sample's quantiles one binomial standard error of p away, sqrt(p(1 - p) / ESS): the textbook
    order-statistic interval of a quantile with the importance weights' effective sample size."""
    p = np.asarray(probs, dtype=float)
    ess = w.sum() ** 2 / np.square(w).sum()
    step = np.sqrt(p * (1.0 - p) / ess)
    q = weighted_quantiles(x, w, p)
    error = (weighted_quantiles(x, w, p + step) - weighted_quantiles(x, w, p - step)) / 2.0
    return q, error


def _quantiles(history: pyabc.History, t: int, cal: Calibration) -> tuple[np.ndarray, np.ndarray]:
    """Each parameter's 5/50/95 % weighted quantiles in generation t and their Monte Carlo
    errors, as shares of its prior range (on pyabc's scale: log10 for log-uniform priors)."""
    frame, w = history.get_distribution(m=0, t=t)
    w = np.asarray(w, dtype=float)
    qs, errors = [], []
    for p in cal.priors:
        low, high = (math.log10(p.low), math.log10(p.high)) if p.kind == "loguniform" else (p.low, p.high)
        q, error = quantiles_with_error(frame[p.name].to_numpy(dtype=float), w)
        qs.append((q - low) / (high - low))
        errors.append(error / (high - low))
    return np.asarray(qs), np.asarray(errors)


@dataclass(frozen=True)
class Shift:
    """How far the posterior moved in the last generation, as a share of the prior range: the
    largest move of any parameter's 5, 50 or 95 % quantile, and the largest move beyond
    ``noise`` Monte Carlo standard errors of that move (what more generations could still change)."""

    moved: float = math.inf
    beyond_noise: float = math.inf
    band: float = math.inf  # the widest noise band a move was judged against

    def text(self) -> str:
        if not math.isfinite(self.moved):
            return ""
        return (
            f", posterior moved {self.moved:.3f} of its prior range "
            f"({self.beyond_noise:.3f} beyond its Monte Carlo error, bands up to {self.band:.3f})"
        )


def posterior_shift(cal: Calibration, history: pyabc.History) -> Shift:
    """The move of the posterior's quantiles between the last two generations (infinite with
    fewer than two)."""
    t = history.max_t
    if t < 1:
        return Shift()
    (now, now_err), (before, before_err) = _quantiles(history, t, cal), _quantiles(history, t - 1, cal)
    moved = np.abs(now - before)
    error = cal.spec.stop.noise * np.hypot(now_err, before_err)
    return Shift(float(moved.max()), float(np.clip(moved - error, 0.0, None).max()), float(error.max()))


@dataclass(frozen=True)
class Status:
    """Where a calibration stands: whether it converged (see ``Stop``) and why it stopped."""

    converged: bool
    reason: str
    generations: int
    simulations: int
    shift: float
    shift_beyond_noise: float
    noise_band: float

    def line(self) -> str:
        verdict = "converged" if self.converged else "NOT converged (stopped by a budget)"
        return f"{verdict}: {self.reason}"


def stop_reason(
    cal: Calibration, done: list[Generation], started: float, shift: Shift = Shift()
) -> tuple[bool, str] | None:
    """(converged, why) if the calibration should stop now, or None to run another generation."""
    if not done:
        return None
    stop, last = cal.spec.stop, done[-1]
    settled = len(done) >= stop.min_generations and last.ess >= stop.min_ess * cal.spec.population
    if settled and shift.beyond_noise < stop.tolerance:
        return True, (
            f"posterior quantiles moved ≤ {shift.beyond_noise:.3f} of their prior range beyond "
            f"{stop.noise:g} Monte Carlo standard errors in the last generation (tolerance "
            f"{stop.tolerance}; largest move {shift.moved:.3f}, noise bands up to {shift.band:.3f}, "
            f"ESS {last.ess:.0f} of {cal.spec.population})"
        )
    if last.epsilon <= stop.min_epsilon:
        return True, f"ε {last.epsilon:.4g} ≤ min_epsilon {stop.min_epsilon}"
    if len(done) >= stop.max_generations:
        return False, f"{len(done)} generations (max_generations)"
    if last.total_proposals * runs_per_proposal(cal) >= stop.max_simulations:
        return False, f"{last.total_proposals * runs_per_proposal(cal):,} simulations (max_simulations)"
    if time.monotonic() - started >= 60 * stop.max_minutes:
        return False, f"{stop.max_minutes} minutes of this session (max_minutes)"
    return None


def calibrate(
    cal: Calibration, out: Path, eng: Engine, report: Callable[[str], None] = print
) -> pyabc.History:
    """Run (or resume) the calibration into ``out/history.db`` until a stopping rule holds."""
    obs = observations(cal)
    out.mkdir(parents=True, exist_ok=True)
    db, stamp = out / "history.db", out / "calibration.json"
    code = {"git_commit": git_commit(), "model_code": model_code(CALIBRATION_CODE)}
    ident = {"name": cal.name, "digest": cal.digest(), "crises": list(cal.crises), **code}
    if db.exists() or stamp.exists():
        theirs = json.loads(stamp.read_text(encoding="utf-8")) if stamp.exists() else None
        if theirs is None or theirs.get("digest") != ident["digest"]:
            raise ScenarioError(
                f"--out {out}: holds a calibration of other files or settings "
                f"({(theirs or {}).get('name', 'unknown')}); choose another --out"
            )
        other = made_by_other_code(theirs, CALIBRATION_CODE, "a calibration")
        if other is not None:
            raise ScenarioError(f"--out {out}: {other}; choose another --out")
        if db.exists() and pyabc.History(f"sqlite:///{db}").max_t < 0:
            db.unlink()  # killed before its first generation: nothing to resume
    else:
        atomic_file(stamp, lambda tmp: tmp.write_text(json.dumps(ident, indent=2), encoding="utf-8"))
    sampler = OrderedSampler(eng, cal.spec.seed)
    stop = cal.spec.stop
    started = time.monotonic()
    sampler.deadline = started + 60 * stop.max_minutes  # checked inside a generation too
    per = runs_per_proposal(cal)
    while True:
        abc = _abc(cal, obs, sampler)
        if db.exists():
            history = abc.load(f"sqlite:///{db}", 1)
        else:
            history = abc.new(f"sqlite:///{db}", {o.key: 0.0 for o in obs})
        done = generations(history)
        shift = posterior_shift(cal, history)
        if sampler.stopped_by is not None:  # the last stored generation did not converge
            verdict = _incomplete(cal, sampler.stopped_by, len(done))
        else:
            verdict = stop_reason(cal, done, started, shift)
        if verdict is not None:
            sims = done[-1].total_proposals * per if done else 0
            status = Status(*verdict, len(done), sims, shift.moved, shift.beyond_noise, shift.band)
            text = json.dumps(asdict(status), indent=2)
            atomic_file(out / "convergence.json", partial(_write, text=text))
            report(f"stopped: {status.line()}")
            return history
        sampler.max_proposals = max(
            1, math.ceil((stop.max_simulations - (done[-1].total_proposals * per if done else 0)) / per)
        )
        abc.run(max_nr_populations=1, min_acceptance_rate=stop.min_acceptance)
        if sampler.stopped_by is None:
            report(generations(history)[-1].line(per) + posterior_shift(cal, history).text())


def _write(tmp: Path, text: str) -> None:
    tmp.write_text(text, encoding="utf-8")


def _incomplete(cal: Calibration, why: str, kept: int) -> tuple[bool, str]:
    """The verdict when a generation stopped before its population was complete (not stored)."""
    stop = cal.spec.stop
    if why.endswith("(max_eval)") and stop.min_acceptance > 0:
        return True, (
            f"generation {kept}: acceptance rate below min_acceptance {stop.min_acceptance} "
            f"({why.removesuffix(' (max_eval)')}); the posterior is generation {kept - 1}'s"
        )
    budget = {"wall-clock budget": "max_minutes", "simulation budget": "max_simulations"}.get(why, why)
    posterior = f"the posterior is generation {kept - 1}'s" if kept else "no generation finished yet"
    return False, (
        f"{budget} reached inside generation {kept} (not stored: a resumed calibration redoes it); "
        + posterior
    )
