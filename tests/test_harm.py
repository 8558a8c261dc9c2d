"""Civilian harm: flight from threat and deaths from deep strikes (sim/model/harm.py)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import harm
from sim.model.escalation import DEFAULT_SCENARIO, EscalationModel

SEEDS = range(6)


def test_flight_bounds_and_share():
    rng = np.random.default_rng(0)
    assert harm.flight(rng, 1000, 1000, 0.8, 0.0, 0.5) == 0  # no threat, nobody leaves
    assert harm.flight(rng, 200, 1000, 0.8, 1.0, 0.5) == 0  # those left are the stayers
    for _ in range(200):
        n = harm.flight(rng, 1000, 1000, 0.8, 5.0, 10.0)
        assert 0 <= n <= 800  # never more than would ever leave
    mean = np.mean([harm.flight(rng, 10_000, 10_000, 1.0, 1.0, 0.02) for _ in range(300)])
    assert mean == pytest.approx(10_000 * (1 - np.exp(-0.02)), rel=0.05)


def test_strike_deaths_scale_with_density():
    rng = np.random.default_rng(1)
    assert harm.strike_deaths(rng, 0, 10.0, 1e-3) == 0
    assert harm.strike_deaths(rng, 5, 1e-6, 1.0) <= 5  # never more than are there
    dense = np.mean([harm.strike_deaths(rng, 50_000, 10.0, 1e-3) for _ in range(300)])
    sparse = np.mean([harm.strike_deaths(rng, 500, 10.0, 1e-3) for _ in range(300)])
    assert dense == pytest.approx(5.0, rel=0.15) and sparse < 0.2


def _totals(column: str, **overrides) -> list[int]:
    out = []
    for seed in SEEDS:
        m = EscalationModel(DEFAULT_SCENARIO, rng=seed, collect=False, **overrides).run()
        sectors = [s for s in m.sectors.values() if s.owner == "ARM"]
        out.append(sum(getattr(s, column) for s in sectors))
    return out


def test_flight_displaces_ahead_of_fire():
    """With flight on, more people leave than fire alone drives out; off, only fire displaces."""
    on = _totals("displaced")
    off = _totals("displaced", mechanisms__flight=False)
    assert sum(on) > 1.5 * sum(off)
    assert all(a >= b for a, b in zip(on, off, strict=True)) or np.mean(on) > np.mean(off)


def test_strikes_kill_civilians_in_their_footprint():
    """Deep strikes into towns kill civilians only with the strike-harm mechanism on."""
    big = {
        "harm__strike_lethal_area_km2": 5e-3,
        "harm__civilian_death_rate": 0.0,
        "harm__border_fire_spill": 0.0,
    }
    on = _totals("civilian_deaths", **big)
    off = _totals("civilian_deaths", mechanisms__strike_harm=False, **big)
    assert sum(off) == 0 and sum(on) > 0
