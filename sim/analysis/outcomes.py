"""The outcome contract: one row per run, the columns every runner, store and plot uses.

``run_id``, ``seed``, parameter columns (the overrides, by key path), then

* ``ceasefire_hour`` — first hour of the quiet that lasts to the horizon (NaN if fighting was still
  going on at the end, or never started). Quiet tolerates isolated incidents — a single hour of
  small-arms fire between quiet hours — as ceasefires do in practice; sustained fire breaks it;
* ``fighting_hours`` — hours in which any belligerent fired (rung ≥ 2);
* per state: ``peak_rung``, ``military_deaths``, ``civilian_deaths``, ``displaced``,
  ``territory_lost_km2`` (of the sectors it held at hour 0), ``deep_strikes`` (strikes received on
  sectors behind its line);
* per alliance: ``alliance_response`` (ignore … military_aid; ``not_invoked``; ``pending``);
* ``ceasefire_broker`` — who made the agreement in force when the fighting ended (a mediator id, or
  ``bilateral``), ``tacit`` if it ended without one, ``none`` if it did not end;
* ``failed_ceasefires`` — agreements that broke down before the fighting ended (all that broke
  down, if it did not end);
* per state: ``concession`` — concessions made, joined by ``+``, or ``none``;
* ``full_war`` — whether any hour was fought at the full-war rung.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.model.escalation import EscalationModel
from sim.model.ladder import Rung
from sim.scenario.schema import Scenario

STATE_OUTCOMES = (
    "peak_rung",
    "military_deaths",
    "civilian_deaths",
    "displaced",
    "territory_lost_km2",
    "deep_strikes",
    "concession",
)
ALLIANCE_OUTCOMES = ("alliance_response",)
CATEGORICAL = {"alliance_response", "ceasefire_broker", "concession"}


def outcome_columns(scenario: Scenario) -> list[str]:
    """Outcome columns (without run_id, seed and parameters) in contract order."""
    cols = ["ceasefire_hour", "fighting_hours"]
    cols += [f"{o}.{s}" for o in STATE_OUTCOMES if o != "concession" for s in scenario.states]
    cols += [f"alliance_response.{a}" for a in scenario.alliances]
    cols += ["ceasefire_broker", "failed_ceasefires"]
    cols += [f"concession.{s}" for s in scenario.states]
    cols += ["full_war"]
    return cols


KINDS = {
    "ceasefire_hour": "float64",
    "fighting_hours": "Int64",
    "peak_rung": "Int64",
    "military_deaths": "Int64",
    "civilian_deaths": "Int64",
    "displaced": "Int64",
    "territory_lost_km2": "float64",
    "deep_strikes": "Int64",
    "alliance_response": "string",
    "ceasefire_broker": "string",
    "failed_ceasefires": "Int64",
    "concession": "string",
    "full_war": "boolean",
}


def kind(column: str) -> str | None:
    """The pandas dtype of an outcome column (``military_deaths.<STATE>`` → ``Int64``), or None."""
    return KINDS.get(column.split(".")[0])


def contract_frame(rows: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Rows with every contract column present and typed alike in every file (nullable types, so
    a failed run's empty outcomes do not change a shard's schema)."""
    cols = outcome_columns(scenario)
    lead = [c for c in rows.columns if c not in cols and c != "error"]
    out = rows.reindex(columns=[*lead, *cols, *(["error"] if "error" in rows else [])])
    dtypes = {c: KINDS[c.split(".")[0]] for c in cols}
    if "error" in out:
        dtypes["error"] = "string"
    return out.astype(dtypes)


def as_numbers(frame: pd.DataFrame, column: str, scenario: Scenario) -> pd.Series:
    """An outcome as floats, for statistics and plots. A missing ``ceasefire_hour`` is not missing
    data: fighting that outlasted the horizon counts as ending at the horizon (so medians stay
    right while under half the runs are censored, and means are lower bounds), fighting that never
    began as ending at hour 0."""
    values = frame[column].astype(float)
    if column != "ceasefire_hour":
        return values
    horizon = frame.get("horizon_hours", scenario.horizon_hours)
    fought = frame["fighting_hours"].astype(float)  # NaN for a failed run, which stays NaN
    return values.fillna(fought.where(fought.eq(0) | fought.isna(), horizon))


CENSORING_NOTE = "ceasefire_hour: no ceasefire by the horizon counts as the horizon"


def ceasefire_hour(peak: np.ndarray) -> float:
    """From the highest rung fired in each hour: the start of the final quiet (see module doc)."""
    fire = peak >= Rung.SMALL_ARMS
    neighbour = np.zeros_like(fire)
    neighbour[1:] |= fire[:-1]
    neighbour[:-1] |= fire[1:]
    sustained = (peak > Rung.SMALL_ARMS) | (fire & neighbour)
    if not sustained.any() or sustained[-1]:
        return math.nan
    return float(np.flatnonzero(sustained)[-1] + 1)


def outcomes(model: EscalationModel) -> dict[str, Any]:
    """The outcome columns of one finished run."""
    spec = model.spec
    peak = model.peak_rungs()
    fighting = peak >= Rung.SMALL_ARMS
    end = ceasefire_hour(peak)
    row: dict[str, Any] = {"ceasefire_hour": end, "fighting_hours": int(fighting.sum())}
    for sid, state in model.states.items():
        row[f"peak_rung.{sid}"] = state.peak_rung
    for sid, state in model.states.items():
        row[f"military_deaths.{sid}"] = state.military_deaths
    for sid in spec.states:
        row[f"civilian_deaths.{sid}"] = sum(s.civilian_deaths for s in model.sectors_of[sid])
    for sid in spec.states:
        row[f"displaced.{sid}"] = sum(s.displaced for s in model.sectors_of[sid])
    for sid in spec.states:
        row[f"territory_lost_km2.{sid}"] = sum(
            s.spec.area_km2 - s.control.get(sid, 0.0) for s in model.sectors_of[sid]
        )
    for sid in spec.states:
        row[f"deep_strikes.{sid}"] = model.deep_strikes[sid]
    for aid, alliance in model.alliances.items():
        row[f"alliance_response.{aid}"] = alliance.response_label
    row["ceasefire_broker"] = broker(model, end)
    row["failed_ceasefires"] = sum(
        a.end_hour is not None and (math.isnan(end) or a.end_hour <= end) for a in model.history
    )
    for sid, state in model.states.items():
        row[f"concession.{sid}"] = "+".join(state.conceded) or "none"
    row["full_war"] = bool((peak >= Rung.FULL_WAR).any())  # an hour was fought at that rung
    return row


def broker(model: EscalationModel, end: float) -> str:
    """Who made the agreement in force when the fighting ended (from the kept history)."""
    if math.isnan(end):
        return "none"
    for agreement in reversed(model.history):
        if agreement.start_hour <= end and (agreement.end_hour is None or agreement.end_hour > end):
            return agreement.broker
    return "tacit"
