"""Beliefs about the adversary's strength, learnt from fighting.

A state knows its own strength ``S_i`` (forces × firepower × drones) but not the adversary's. It holds
a normal belief N(m, v) over ``log S_j`` and updates it by Bayes' rule from each hour's battlefield
signal ``y = log S_j + ε``, ε ~ N(0, σ²/f), where ``f`` is the hour's fire intensity: the harder the
fighting, the more it reveals (Slantchev 2003; Filson & Werner 2002). Shuttle diplomacy adds a
signal of its own (Kydd 2003). Its expected share of any fight is ``S_i / (S_i + E[S_j])`` with
E[S_j] = exp(m + v/2).

A coercer also learns whether its adversary is a type that yields to force (its cost tolerance;
Smith & Stam 2004): a yielding type would have conceded as its losses mounted, so each hour the
adversary loses ``d`` soldiers without conceding is evidence ``η·d`` against it (η =
``resolve_evidence`` / signal_noise²):

    π' = π·e^(−η·d) / (π·e^(−η·d) + 1 − π)
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def normal_update(mean: float, var: float, signal: float, noise_var: float) -> tuple[float, float]:
    """Conjugate normal update: posterior (mean, variance) after one noisy signal. A signal lost in
    infinite noise (a shuttle of vanishing leverage) tells nothing."""
    if math.isinf(noise_var):
        return mean, var
    post_var = 1.0 / (1.0 / var + 1.0 / noise_var)
    return post_var * (mean / var + signal / noise_var), post_var


@dataclass(slots=True)
class StrengthBelief:
    mean: float  # of log strength
    var: float

    @classmethod
    def prior(cls, true_strength: float, bias: float, sd: float) -> StrengthBelief:
        return cls(math.log(max(true_strength, 1e-9) * bias), sd * sd)

    def observe(self, signal: float, noise_var: float) -> None:
        self.mean, self.var = normal_update(self.mean, self.var, signal, noise_var)

    @property
    def expected(self) -> float:
        return math.exp(self.mean + self.var / 2.0)

    def share(self, own_strength: float) -> float:
        """Believed probability of prevailing: own strength over the total."""
        total = own_strength + self.expected
        return own_strength / total if total > 0 else 0.5


def yield_update(prior: float, evidence: float) -> float:
    """Posterior probability that the adversary yields after ``evidence`` (η·d) of non-yielding."""
    kept = prior * math.exp(-evidence)
    return kept / (kept + 1.0 - prior) if kept + 1.0 - prior > 0.0 else 0.0
