"""The outcome registry: every column of an outcome row, declared once.

One row per run: identity columns (``run_id``, ``seed``; ``point``, ``replicate`` and ``error`` in a
sweep), one column per overridden scenario value (by key path), then the outcomes in ``OUTCOMES``
order, per state (``military_deaths.<STATE>``) or per alliance (``alliance_response.<ALLIANCE>``)
where their scope says so. Everything else derives from ``OUTCOMES``: the pandas dtypes and the
Parquet schema, the descriptions and units stored in the Parquet metadata and the manifest, and the
statistic, unit, label and censoring that the summary, ``compare``, plots and sensitivity show.

One statistic per outcome everywhere: the median for numbers, the share of runs for yes/no outcomes
and for each category (the modal category in the summary). A censored run counts as its censored
value (``ceasefire_hour``: no ceasefire by the horizon counts as the horizon), and the share of
censored runs is shown beside the statistic.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.model.escalation import EscalationModel
from sim.model.ladder import Rung
from sim.scenario.schema import Scenario, field_of, unit_of

Scope = Literal["global", "state", "alliance"]
Kind = Literal["hours", "count", "km2", "share", "category", "rung", "boolean"]
Censor = Callable[[pd.DataFrame, pd.Series, Scenario], tuple[pd.Series, pd.Series]]


def _ceasefire_censoring(
    frame: pd.DataFrame, values: pd.Series, scenario: Scenario
) -> tuple[pd.Series, pd.Series]:
    """No ceasefire while fighting went on to the horizon: the horizon, censored. No fighting at
    all: hour 0, not censored. A failed run (no ``fighting_hours``) stays NaN."""
    horizon = frame.get("horizon_hours", scenario.horizon_hours)
    fought = frame["fighting_hours"].astype(float)
    cut = values.isna() & fought.gt(0)
    return values.mask(cut, horizon).mask(values.isna() & fought.eq(0), 0.0), cut


@dataclass(frozen=True)
class Outcome:
    """One outcome: its column(s), type, unit and meaning."""

    name: str
    scope: Scope
    dtype: str  # pandas dtype (nullable, so a failed run's empty row keeps a shard's schema)
    kind: Kind
    unit: str
    label: str  # a few words for tables and axes
    meaning: str  # one sentence, stored with the data
    censoring: str = ""  # what a run where the outcome never happened counts as ("" = never censored)
    censor: Censor | None = None

    @property
    def numeric(self) -> bool:
        return self.kind not in ("category", "boolean")

    @property
    def statistic(self) -> str:
        """The statistic every command reports for this outcome."""
        return {"category": "share per category", "boolean": "share"}.get(self.kind, "median")

    def columns(self, scenario: Scenario) -> list[str]:
        ids = {"global": None, "state": scenario.states, "alliance": scenario.alliances}[self.scope]
        return [self.name] if ids is None else [f"{self.name}.{i}" for i in ids]


OUTCOMES: tuple[Outcome, ...] = (
    Outcome(
        "ceasefire_hour",
        "global",
        "float64",
        "hours",
        "h",
        "hour of the effective ceasefire",
        "First hour of the quiet that lasts to the horizon (isolated single hours of small-arms fire "
        "do not break it); NaN if fighting went on to the horizon or never began.",
        "a run still fighting at the horizon counts as the horizon (censored); "
        "a run with no fighting counts as hour 0",
        _ceasefire_censoring,
    ),
    Outcome(
        "fighting_hours",
        "global",
        "Int64",
        "hours",
        "h",
        "hours with fire exchanged",
        "Hours in which any belligerent fired (rung 2, small-arms fire, or higher).",
    ),
    Outcome(
        "peak_rung",
        "state",
        "Int64",
        "rung",
        "rung 0–6",
        "highest rung reached",
        "Highest rung of the escalation ladder the state reached (0 ceasefire … 6 full-scale war).",
    ),
    Outcome(
        "military_deaths",
        "state",
        "Int64",
        "count",
        "people",
        "military deaths",
        "Soldiers of the state killed over the run.",
    ),
    Outcome(
        "civilian_deaths",
        "state",
        "Int64",
        "count",
        "people",
        "civilian deaths",
        "Civilians killed in the sectors the state held at hour 0.",
    ),
    Outcome(
        "displaced",
        "state",
        "Int64",
        "count",
        "people",
        "displaced civilians",
        "Civilians displaced from the sectors the state held at hour 0.",
    ),
    Outcome(
        "territory_lost_km2",
        "state",
        "float64",
        "km2",
        "km²",
        "territory lost",
        "Area of the sectors the state held at hour 0 that it no longer controls at the horizon.",
    ),
    Outcome(
        "deep_strikes",
        "state",
        "Int64",
        "count",
        "strikes",
        "strikes launched at it behind the line",
        "Strikes launched at the state's sectors behind its line (not on the border), those its air "
        "defences intercepted included.",
    ),
    Outcome(
        "alliance_response",
        "alliance",
        "string",
        "category",
        "",
        "alliance response",
        "The alliance's response to a member's appeal: ignore, statement, fact_finding, "
        "diplomatic_pressure, peacekeepers or military_aid; not_invoked, or pending if still on its way.",
    ),
    Outcome(
        "ceasefire_broker",
        "global",
        "string",
        "category",
        "",
        "ceasefire broker",
        "Who made the agreement in force when the fighting ended (a mediator id, or bilateral); "
        "unilateral if it ended under a unilateral declaration (matched by the other side or not); "
        "tacit if it ended without either, none if it did not end.",
    ),
    Outcome(
        "failed_ceasefires",
        "global",
        "Int64",
        "count",
        "agreements",
        "failed ceasefires",
        "Agreed ceasefires that broke down before the fighting ended (all that broke down, if it "
        "did not end).",
    ),
    Outcome(
        "concession",
        "state",
        "string",
        "category",
        "",
        "concessions made",
        "Concessions the state made, joined by +, or none.",
    ),
    Outcome(
        "full_war",
        "global",
        "boolean",
        "boolean",
        "",
        "full-scale war",
        "Whether any hour was fought at the full-war rung (6).",
    ),
)
REGISTRY = {o.name: o for o in OUTCOMES}
IDENTITY = {
    "run_id": "The run's id: <point>-<replicate> in a results folder, its number in sim.run_ensemble.",
    "point": "Point of the results folder: design point, compared scenario (row of points.parquet).",
    "replicate": "Replicate number at the point (the run number of an ensemble).",
    "scenario": "Name of the compared scenario the run belongs to.",
    "seed": "The run's seed, derived from the ensemble or experiment seed and the run's id.",
    "error": "Why the run failed (its outcomes are empty), or empty if it succeeded.",
}
ARROW = {"float64": pa.float64(), "Int64": pa.int64(), "string": pa.string(), "boolean": pa.bool_()}


def outcome_columns(scenario: Scenario) -> list[str]:
    """Outcome columns (without identity and parameter columns) in contract order."""
    return [c for o in OUTCOMES for c in o.columns(scenario)]


def outcome_of(column: str) -> Outcome | None:
    """The registry entry of an outcome column (``military_deaths.<STATE>`` → military_deaths), or None."""
    return REGISTRY.get(column.split(".")[0])


def describe(column: str) -> dict[str, str]:
    """What a column of an outcome row means, in words for a reader without this package."""
    if column in IDENTITY:
        return {"role": "identity", "description": IDENTITY[column]}
    outcome = outcome_of(column)
    if outcome is None:
        info = field_of(column)
        if info is None:
            raise KeyError(f"{column}: not a column of the outcome registry nor a scenario key path")
        text = f"Scenario value `{column}` as set for this run: {info.description}"
        return {"role": "parameter", "unit": unit_of(column), "description": text}
    who = column.partition(".")[2]
    doc = {
        "role": "outcome",
        "label": outcome.label,
        "kind": outcome.kind,
        "unit": outcome.unit,
        "scope": f"{outcome.scope} {who}".strip(),
        "statistic": outcome.statistic,
        "description": outcome.meaning,
    }
    return doc | ({"censoring": outcome.censoring} if outcome.censoring else {})


def describe_columns(columns: Iterable[str]) -> dict[str, dict[str, str]]:
    return {c: describe(c) for c in columns}


def arrow_schema(frame: pd.DataFrame) -> pa.Schema:
    """The Parquet schema of outcome rows: types from the registry (inferred for identity and
    parameter columns), each field's description and unit in its metadata, and all of them as JSON
    under ``escsim.columns`` in the schema metadata (which DuckDB's ``parquet_kv_metadata`` shows)."""
    inferred = pa.Schema.from_pandas(frame, preserve_index=False)
    docs = describe_columns(frame.columns)
    fields = []
    for column in frame.columns:
        outcome = outcome_of(column)
        kind = ARROW[outcome.dtype] if outcome else inferred.field(column).type
        fields.append(pa.field(column, kind, metadata=docs[column]))
    return pa.schema(fields, metadata={"escsim.columns": json.dumps(docs, ensure_ascii=False)})


def write_parquet(frame: pd.DataFrame, path: str | Path) -> None:
    """Outcome rows to Parquet with the registry's schema and metadata."""
    pq.write_table(pa.Table.from_pandas(frame, schema=arrow_schema(frame), preserve_index=False), path)


def registry_markdown() -> str:
    """The registry as a Markdown table (the README's, which a test keeps current)."""
    lines = [
        "| column | per | kind | unit | statistic | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for o in OUTCOMES:
        column = o.name + {"global": "", "state": ".<STATE>", "alliance": ".<ALLIANCE>"}[o.scope]
        meaning = o.meaning + (f" Censoring: {o.censoring}." if o.censoring else "")
        lines.append(f"| `{column}` | {o.scope} | {o.kind} | {o.unit} | {o.statistic} | {meaning} |")
    return "\n".join(lines) + "\n"


def contract_frame(rows: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Rows with every contract column present and typed alike in every file (nullable types, so
    a failed run's empty outcomes do not change a shard's schema)."""
    cols = outcome_columns(scenario)
    lead = [c for c in rows.columns if c not in cols and c != "error"]
    out = rows.reindex(columns=[*lead, *cols, *(["error"] if "error" in rows else [])])
    dtypes = {c: REGISTRY[c.split(".")[0]].dtype for c in cols}
    if "error" in out:
        dtypes["error"] = "string"
    return out.astype(dtypes)


def censored(frame: pd.DataFrame, column: str, scenario: Scenario) -> pd.Series:
    """Which runs are censored in ``column`` (all False for an outcome that never is)."""
    outcome = outcome_of(column)
    if outcome is None or outcome.censor is None:
        return pd.Series(False, index=frame.index)
    return outcome.censor(frame, frame[column].astype(float), scenario)[1]


def as_numbers(frame: pd.DataFrame, column: str, scenario: Scenario) -> pd.Series:
    """An outcome as floats, censored runs at their censored value: the numbers every statistic
    and plot uses (so medians stay right while under half the runs are censored, and means are
    bounds). Yes/no outcomes become 1/0; a failed run stays NaN."""
    values = frame[column].astype(float)
    outcome = outcome_of(column)
    if outcome is None or outcome.censor is None:
        return values
    return outcome.censor(frame, values, scenario)[0]


def reducer(column: str) -> Callable[..., Any]:
    """The numpy function of the outcome's statistic: the median, or (of 1/0) the share of yes."""
    outcome = outcome_of(column)
    return np.mean if outcome is not None and not outcome.numeric else np.median


def central(values: Iterable[float], column: str) -> float:
    """The outcome's statistic over runs, failed runs (NaN) left out."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return float(reducer(column)(values)) if values.size else math.nan


def show(value: float, column: str) -> str:
    """A statistic as every command prints it: numbers to one decimal, shares as percent."""
    if math.isnan(value):
        return "n/a"
    outcome = outcome_of(column)
    return percent(value) if outcome is not None and not outcome.numeric else f"{value:,.1f}"


def percent(share: float) -> str:
    return f"{share:.1%}"


def headline(frame: pd.DataFrame, column: str, scenario: Scenario) -> str:
    """The outcome's statistic over ``frame``'s runs as every command prints it: ``40.5`` (median),
    ``2.0%`` (share of yes) or ``fact_finding (49.0%)`` (modal category and its share)."""
    if outcome_of(column).kind == "category":
        shares = frame[column].value_counts(normalize=True)
        return f"{shares.index[0]} ({percent(shares.iloc[0])})"
    return show(central(as_numbers(frame, column, scenario), column), column)


def label(column: str, scenario: Scenario) -> str:
    """Words and unit for an axis or a table: ``<state name>: military deaths (people)``."""
    outcome = outcome_of(column)
    who = column.partition(".")[2]
    actors = {**scenario.states, **scenario.alliances}
    name = actors[who].name if who in actors else who
    text = outcome.label if outcome else column.replace("_", " ")
    if outcome is not None and outcome.unit:
        text += f" ({outcome.unit})"
    return f"{name}: {text}" if name else text


def censoring_notes(columns: Iterable[str]) -> list[str]:
    """The censoring rule of each censorable outcome among ``columns``, once per outcome."""
    seen = dict.fromkeys(o for c in columns if (o := outcome_of(c)) is not None and o.censoring)
    return [f"{o.name}: {o.censoring}" for o in seen]


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
            return "unilateral" if agreement.kind == "declaration" else agreement.broker
    for _, _, start, stop in reversed(model.declarations):
        if start <= end and (stop is None or stop > end):
            return "unilateral"
    return "tacit"
