"""The outcome registry: it declares every column of a real row, its metadata travels with the data,
and every command reports one statistic per outcome under one censoring rule."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import sim
from sim.analysis import plots, sensitivity
from sim.analysis.compare import compare, format_rows
from sim.analysis.outcomes import (
    IDENTITY,
    OUTCOMES,
    as_numbers,
    censored,
    describe,
    outcome_columns,
    outcome_of,
    percent,
    registry_markdown,
    write_parquet,
)
from sim.analysis.summary import format_summary, summarise
from sim.experiments.design import Experiment, design_points

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "sept2022.toml"
WHATIF = ROOT / "scenarios" / "whatif" / "no_us_envoy.toml"
SHORT = {"horizon_hours": 48}  # short enough that some runs are still fighting at the horizon


def escsim(*args) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("escsim")
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=300)


def test_registry_declares_every_column_of_a_real_row_exactly():
    scenario = sim.load_scenario(BASELINE, SHORT)
    row = sim.run(scenario, seed=3).outcomes
    assert list(row) == outcome_columns(scenario)  # none undeclared, none missing, contract order
    frame = sim.run_ensemble(scenario, 2, 1, 1, {"mediators.USA.arrival_hour": 6})
    assert list(frame.columns) == ["run_id", "seed", "mediators.USA.arrival_hour", *outcome_columns(scenario)]
    for column in frame.columns:
        doc = describe(column)  # raises for an undeclared column
        assert doc["description"]
        if (outcome := outcome_of(column)) is not None:
            assert str(frame[column].dtype) == outcome.dtype
    assert describe("mediators.USA.arrival_hour")["unit"] == "h"
    with pytest.raises(KeyError, match="bogus"):
        describe("bogus")


def test_every_outcome_is_fully_declared():
    units = {"hours": "h", "km2": "km²"}
    for o in OUTCOMES:
        assert o.meaning.endswith(".") and o.label
        assert o.kind in ("hours", "count", "km2", "share", "category", "rung", "boolean")
        assert o.numeric == (o.kind not in ("category", "boolean"))
        assert bool(o.unit) == o.numeric and units.get(o.kind, o.unit) == o.unit
        assert bool(o.censoring) == (o.censor is not None)
    assert set(IDENTITY).isdisjoint(o.name for o in OUTCOMES)


def test_readme_outcome_table_is_the_registry():
    assert registry_markdown() in (ROOT / "README.md").read_text(encoding="utf-8"), (
        "README's outcome table is stale: paste sim.analysis.outcomes.registry_markdown()"
    )


PLAIN_READER = """
import json, sys
sys.modules["sim"] = None  # no escalation-sim: plain pyarrow only
import pyarrow.parquet as pq
schema = pq.read_schema(sys.argv[1])
fields = {f.name: {k.decode(): v.decode() for k, v in (f.metadata or {}).items()} for f in schema}
print(json.dumps({"fields": fields, "table": json.loads(schema.metadata[b"escsim.columns"])}))
"""


def test_metadata_round_trips_through_plain_pyarrow_and_matches_the_manifest(tmp_path):
    out = tmp_path / "res"
    proc = escsim(
        "run", BASELINE, "--runs", "3", "--workers", "1", "--quiet", "--out", out, "--set", "horizon_hours=48"
    )
    assert proc.returncode == 0, proc.stderr
    read = subprocess.run(
        [sys.executable, "-c", PLAIN_READER, out / "outcomes" / "part-000000.parquet"],
        capture_output=True,
        text=True,
    )
    assert read.returncode == 0, read.stderr
    meta = json.loads(read.stdout)
    columns = list(pd.read_parquet(out / "outcomes").columns)
    assert list(meta["fields"]) == columns and list(meta["table"]) == columns
    assert meta["fields"] == meta["table"]
    cease = meta["fields"]["ceasefire_hour"]
    assert cease["unit"] == "h" and cease["kind"] == "hours" and cease["statistic"] == "median"
    assert "counts as the horizon" in cease["censoring"]
    deaths = meta["fields"]["military_deaths.ARM"]
    assert deaths["unit"] == "people" and deaths["scope"] == "state ARM" and "killed" in deaths["description"]
    assert (
        meta["fields"]["horizon_hours"]["role"] == "parameter"
        and meta["fields"]["horizon_hours"]["unit"] == "h"
    )
    assert meta["fields"]["run_id"]["role"] == "identity"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["columns"] == meta["fields"]


def test_parquet_types_come_from_the_registry_even_for_an_all_missing_row(tmp_path):
    scenario = sim.load_scenario(BASELINE, SHORT)
    frame = sim.run_ensemble(scenario, 2, 1, 1)
    empty = frame.iloc[:1].astype(object)
    empty.loc[:, outcome_columns(scenario)] = None  # a failed run's row, untyped
    for name, rows in (("full", frame), ("empty", empty)):
        write_parquet(rows, tmp_path / f"{name}.parquet")
    full, bare = (pq.read_schema(tmp_path / f"{n}.parquet") for n in ("full", "empty"))
    for column in outcome_columns(scenario):
        assert full.field(column).type == bare.field(column).type, column
    assert (
        str(full.field("military_deaths.ARM").type) == "int64" and str(full.field("full_war").type) == "bool"
    )


def _median_of(text: str, column: str, label: str) -> str:
    match = re.search(rf"^{re.escape(column)} .*", text, re.M)
    assert match, f"{label}: no line for {column}:\n{text}"
    return match.group(0)


def test_compare_and_run_print_the_same_median_for_the_same_runs(tmp_path):
    args = ["--runs", "24", "--seed", "2", "--workers", "2", "--quiet", "--set", "horizon_hours=30"]
    runs = {p: escsim("run", p, *args, "--out", tmp_path / p.stem) for p in (BASELINE, WHATIF)}
    cmp = escsim("compare", BASELINE, WHATIF, *args, "--out", tmp_path / "cmp")
    assert cmp.returncode == 0 and all(p.returncode == 0 for p in runs.values()), cmp.stderr
    frame = pd.read_parquet(tmp_path / "sept2022" / "outcomes")
    assert frame["ceasefire_hour"].isna().any()  # some runs censored: the rule matters
    for column in ("ceasefire_hour", "fighting_hours", "military_deaths.ARM"):
        in_compare = _median_of(cmp.stdout, column, "compare").split()
        for i, path in enumerate((BASELINE, WHATIF)):
            in_run = _median_of(runs[path].stdout, column, "run").split()
            assert in_run[2] == in_compare[2 + i], (column, in_run, in_compare)  # to the digit
    cut = _median_of(runs[BASELINE].stdout, "ceasefire_hour", "run")
    share = re.search(r"censored (\d+\.\d%)", cut).group(1)
    assert share == _median_of(cmp.stdout, "ceasefire_hour", "compare").split()[-2].rstrip(",")
    assert "counts as the horizon" in cmp.stdout and "counts as the horizon" in runs[BASELINE].stdout


@pytest.fixture(scope="module")
def censored_frames():
    """Baseline rows, a third of them made to be still fighting at the horizon, and a what-if copy
    whose ceasefires come 5 hours later."""
    scenario = sim.load_scenario(BASELINE)
    base = sim.run_ensemble(scenario, 30, 4, 1)
    base.loc[base.index % 3 == 0, "ceasefire_hour"] = np.nan
    base.loc[base.index % 3 == 0, "fighting_hours"] = 40
    later = base.assign(ceasefire_hour=base["ceasefire_hour"] + 5)
    return scenario, base, later


def test_censoring_rule_is_the_same_in_summary_compare_plots_and_sensitivity(censored_frames, monkeypatch):
    scenario, base, later = censored_frames
    numbers = as_numbers(base, "ceasefire_hour", scenario)
    assert numbers[base.index % 3 == 0].eq(scenario.horizon_hours).all()
    share = censored(base, "ceasefire_hour", scenario).mean()
    median = float(np.median(numbers))
    assert share > 0.3 and median != float(base["ceasefire_hour"].median())  # dropping them would differ

    line = next(x for x in summarise(scenario, base) if x.outcome == "ceasefire_hour")
    assert line.simulated.startswith(f"{median:,.1f} [") and f"censored {percent(share)}" in line.simulated

    row = next(r for r in compare(scenario, [base, later])[0] if r.outcome == "ceasefire_hour")
    assert row.values[0] == median and row.censored == pytest.approx((share, share))
    assert row.difference == float(np.median(as_numbers(later, "ceasefire_hour", scenario))) - median

    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, folder, name: figures.append(fig) or [])
    plots.outcome_histograms(scenario, base, Path("unused"))
    axis = next(ax for ax in figures[0].axes if ax.get_xlabel().startswith("hour of the effective ceasefire"))
    dashed = [ln.get_xdata()[0] for ln in axis.lines if ln.get_linestyle() == "--"]
    assert dashed == [median] and f"censored: {percent(share)}" in axis.get_title()

    exp = Experiment.model_validate(
        {
            "name": "cens",
            "scenario": "unused.toml",
            "replicates": 1,
            "design": {"kind": "saltelli", "points": 2},
            "parameters": {"x.one": {"min": 0, "max": 1}, "x.two": {"min": 0, "max": 1}},
        }
    )
    n = len(design_points(exp))
    rows = pd.concat([base] * -(-n // len(base)), ignore_index=True).iloc[:n]
    rows = rows.assign(point=np.arange(n), error=None)
    seen = {}

    def analyze(problem, y, **kw):
        seen["y"] = y
        return {k: np.zeros(2) for k in ("S1", "S1_conf", "ST", "ST_conf")}

    monkeypatch.setattr("SALib.analyze.sobol.analyze", analyze)
    sensitivity.indices(exp, scenario, rows, ["ceasefire_hour"])
    assert np.array_equal(seen["y"], as_numbers(rows, "ceasefire_hour", scenario).to_numpy())


def test_summary_and_compare_say_the_unit_and_the_rule(censored_frames):
    scenario, base, later = censored_frames
    text = format_summary(scenario, base, None)
    assert re.search(r"^military_deaths\.ARM +people ", text, re.M)
    assert re.search(r"^territory_lost_km2\.ARM +km² ", text, re.M)
    assert "censored: ceasefire_hour: a run still fighting at the horizon counts as the horizon" in text
    table = format_rows(["sept2022", "later"], compare(scenario, [base, later])[0])
    assert re.search(
        r"^ceasefire_hour +h +\d+\.\d +\d+\.\d +\+\d+\.\d \[.*\] +\d+\.\d%, \d+\.\d%$", table, re.M
    )
    assert re.search(r"^outcome +unit +share A +share B +B − A \[95 % CI\] \(points\)", table, re.M)
