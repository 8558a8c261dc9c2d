"""Independent random streams, one per mechanism, spawned from the run's seed.

Each mechanism draws from its own ``numpy.random.Generator``, keyed by the mechanism's name, not by
position: a what-if that changes how often one mechanism draws (a mediator arriving earlier, a
switch turned off) leaves every other mechanism's draws where they were, so paired runs of a
baseline and a what-if stay correlated (common random numbers).
"""

from __future__ import annotations

import zlib

import numpy as np

STREAMS = (
    "resolve",  # private values drawn once per run
    "decisions",  # logit rung choices
    "combat",  # attrition
    "ground",  # manoeuvre and captures
    "strikes",  # deep strikes
    "interception",  # air defences stopping strikes (its own stream: a what-if on them moves no other draw)
    "harm",  # civilian deaths and displacement
    "learning",  # battlefield signals
    "bargaining",  # offers and answers
    "mediation",  # mediators' attention, turn order, vetoes
    "alliances",  # invocation and response draws
    "ceasefire",  # breakdown
    "mobilisation",  # reserves reaching the fronts
    "unilateral",  # unilateral ceasefire declarations
)


def stream(seed: int | None, name: str) -> np.random.Generator:
    """The generator for one mechanism: ``SeedSequence(seed, spawn_key=(crc32(name),))``."""
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(name.encode()),)))


def keyed(seed: int | None, name: str, key: str) -> np.random.Generator:
    """One agent's generator within a mechanism (``decisions`` of state ``A``: ``decisions/A``), so
    that adding, removing or silencing one agent leaves every other agent's draws where they were."""
    if name not in STREAMS:
        raise KeyError(f"no random stream named {name!r}")
    return stream(seed, f"{name}/{key}")


class Hourly:
    """Uniform (or standard normal) draws indexed by hour (and slot), drawn up front from one
    agent's generator: its draw
    in hour h is the same whatever happened before, so a what-if that moves an event or removes an
    agent leaves the other agents' hour-by-hour luck where it was (common random numbers)."""

    def __init__(self, rng: np.random.Generator, hours: int, slots: int = 1, normal: bool = False) -> None:
        self._u = rng.standard_normal((hours + 1, slots)) if normal else rng.random((hours + 1, slots))

    def __call__(self, hour: int, slot: int = 0) -> float:
        return float(self._u[min(max(hour, 0), len(self._u) - 1), slot % self._u.shape[1]])


class PerHour:
    """A generator whose draws in hour h start at a fixed position, ``h · 2⁶⁴`` steps into its
    stream (PCG64's period is 2¹²⁸): however many draws earlier hours took — more fronts, an
    agreement that held longer, a mediator that proposed more often — hour h's luck is the same
    (common random numbers). Within an hour, draws follow one another as usual."""

    __slots__ = ("_base", "_hour", "_rng")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng, self._base, self._hour = rng, rng.bit_generator.state, None

    def at(self, hour: int) -> np.random.Generator:
        if hour != self._hour:
            bits = self._rng.bit_generator
            bits.state = self._base
            bits.advance(max(hour, 0) << 64)
            self._hour = hour
        return self._rng


class Streams:
    """The run's mechanism streams by name, each positioned at the current hour (``PerHour``)."""

    def __init__(self, seed: int | None, clock) -> None:
        self._streams = {name: PerHour(stream(seed, name)) for name in STREAMS}
        self._clock = clock

    def __getitem__(self, name: str) -> np.random.Generator:
        return self._streams[name].at(self._clock())


def streams(seed: int | None) -> dict[str, np.random.Generator]:
    return {name: stream(seed, name) for name in STREAMS}
