"""Figures of one run for a classroom: the theatre map, the escalation ladder over time with what
happened marked on it, and an ensemble's outcome distributions. Plain matplotlib, so they render
the same in the browser page (as images: no JavaScript to fetch), in ``escsim narrate --figure`` and
in a notebook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Wedge

from sim.analysis.narrate import PLACES, STRIKES, Fact
from sim.analysis.outcomes import as_numbers
from sim.analysis.plots import mark_observed
from sim.model.ladder import LADDER
from sim.model.parties import belligerents
from sim.scenario.schema import Scenario

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
# how each kind of fact is marked on the ladder: (marker, colour, legend label)
MARKERS = {
    "event": ("v", "black", "scheduled event"),
    "invocation": ("D", "#8c564b", "treaty invoked"),
    "alliance": ("d", "#8c564b", "alliance responds"),
    "offer": ("o", "#7f7f7f", "ceasefire offer"),
    "concession": ("*", "#ff7f0e", "concession / refusal"),
    "ceasefire": ("s", "#2ca02c", "ceasefire agreed"),
    "breakdown": ("X", "#d62728", "ceasefire breaks down"),
}


def rung_name(rung: int) -> str:
    return f"{rung} {LADDER[rung].rung.name.replace('_', ' ').lower()}"


def state_colours(scenario: Scenario) -> dict[str, str]:
    return {sid: COLOURS[i % len(COLOURS)] for i, sid in enumerate(scenario.states)}


def positions(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """Map coordinates (lon, lat) of every sector: the scenario's, or for a sector without them the
    mean of its placed neighbours' (nudged so it does not hide them), or a ring around the rest."""
    pos = {
        sid: (s.lon, s.lat) for sid, s in scenario.sectors.items() if s.lon is not None and s.lat is not None
    }
    missing = [sid for sid in scenario.sectors if sid not in pos]
    neighbours = {sid: set(s.neighbours) for sid, s in scenario.sectors.items()}
    for sid, s in scenario.sectors.items():
        for n in s.neighbours:
            neighbours[n].add(sid)
    centre = np.mean(list(pos.values()), axis=0) if pos else np.zeros(2)
    for i, sid in enumerate(missing):
        placed = [pos[n] for n in neighbours[sid] if n in pos]
        if placed:
            x, y = np.mean(placed, axis=0)
            pos[sid] = (float(x) + 0.03, float(y) - 0.03)
        else:
            angle = 2 * np.pi * i / max(len(missing), 1)
            pos[sid] = (float(centre[0] + 0.3 * np.cos(angle)), float(centre[1] + 0.3 * np.sin(angle)))
    return pos


def struck_sectors(scenario: Scenario, log_rows: Sequence, since: int) -> dict[str, int]:
    """Sector id → deep strikes that landed on it from hour ``since`` on (read from the event log)."""
    by_name = {s.name: sid for sid, s in scenario.sectors.items()}
    out: dict[str, int] = {}
    for row in log_rows:
        hit = STRIKES.match(row.reason or "")
        where = PLACES.match(row.action)
        if row.hour < since or not hit or not where:
            continue
        names = where.group(2).split(", ")
        for name in names:
            if name in by_name:
                out[by_name[name]] = out.get(by_name[name], 0) + int(hit.group(1)) // len(names)
                out[by_name[name]] = max(out[by_name[name]], 1)
    return out


def map_figure(model, width: float = 7.5) -> Figure:
    """The theatre now: each sector at its coordinates, coloured by its holder, with the share taken
    by another state as a wedge of that state's colour; fronts drawn as thick as this hour's fire;
    deep strikes of the last 24 h starred."""
    spec = model.spec
    pos, colour = positions(spec), state_colours(spec)
    fig = Figure(figsize=(width, width * 0.78))
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.08, top=0.94)
    ax = fig.subplots()
    ax.add_collection(
        LineCollection([(pos[u], pos[v]) for u, v in model.space.G.edges], colors="#bbbbbb", lw=0.8, zorder=1)
    )
    rate = model.columns.fire_rate
    fire = [
        rate[model.states[model.sectors[u].holder].rung] + rate[model.states[model.sectors[v].holder].rung]
        for u, v in model.fronts
    ]
    ax.add_collection(
        LineCollection(
            [(pos[u], pos[v]) for u, v in model.fronts],
            colors=["#d62728" if f else "#555555" for f in fire],
            linewidths=[1.0 + 3.0 * f for f in fire],
            zorder=2,
        )
    )
    areas = np.array([s.spec.area_km2 for s in model.sectors.values()])
    scale = 0.04 / np.sqrt(areas.max())
    wedges, faces, rims = [], [], []
    for sid, sector in model.sectors.items():
        x, y = pos[sid]
        r = scale * np.sqrt(sector.spec.area_km2)
        start = 90.0
        for holder, km2 in sorted(sector.control.items(), key=lambda kv: kv[0] != sector.owner):
            share = 360.0 * km2 / sector.spec.area_km2
            if share <= 0.5:
                continue
            wedges.append(Wedge((x, y), r, start, start + share))
            faces.append(colour[holder])
            start += share
        rims.append(Circle((x, y), r))
        ax.annotate(
            sector.spec.name,
            (x + r, y),
            xytext=(3, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=7,
            zorder=5,
        )
    ax.add_collection(PatchCollection(wedges, facecolors=faces, edgecolors="white", zorder=3))
    borders = ["black" if s.spec.border else "none" for s in model.sectors.values()]
    ax.add_collection(PatchCollection(rims, facecolors="none", edgecolors=borders, linewidths=0.8, zorder=4))
    for sid, n in struck_sectors(spec, model.log.rows, max(0, model.hour - 23)).items():
        x, y = pos[sid]
        ax.scatter([x], [y], marker="*", s=60 + 25 * min(n, 10), color="#ffdd00", edgecolor="black", zorder=6)
    for sid, c in colour.items():
        if model.sectors_of[sid]:
            ax.scatter([], [], color=c, s=60, label=f"held by {spec.states[sid].name}")
    ax.plot([], [], color="#d62728", lw=3, label="front under fire")
    ax.scatter([], [], marker="*", s=90, color="#ffdd00", edgecolor="black", label="deep strikes, last 24 h")
    ax.legend(loc="lower left", fontsize=7, framealpha=0.85)
    ax.set_aspect(1.0 / np.cos(np.radians(np.mean([p[1] for p in pos.values()]))))
    xs, ys = zip(*pos.values(), strict=True)
    pad_x, pad_y = 0.12 * (max(xs) - min(xs)) + 0.05, 0.12 * (max(ys) - min(ys)) + 0.05
    ax.set_xlim(min(xs) - pad_x, max(xs) + 2 * pad_x)  # room on the right for the names
    ax.set_ylim(min(ys) - pad_y, max(ys) + pad_y)
    ax.set_xlabel("longitude (°)", fontsize=8)
    ax.set_ylabel("latitude (°)", fontsize=8)
    ax.tick_params(labelsize=7)
    when = spec.start + dt.timedelta(hours=max(model.hour, 0))
    ax.set_title(f"{spec.name}: the theatre at {when:%d %b %H:%M} (hour {max(model.hour, 0)})", fontsize=9)
    return fig


def _dates(scenario: Scenario, hours) -> list[dt.datetime]:
    start = scenario.start.replace(tzinfo=None)
    return [start + dt.timedelta(hours=int(h)) for h in hours]


def ladder_figure(
    scenario: Scenario,
    rungs: dict[str, np.ndarray],
    facts: Sequence[Fact],
    upto: int | None = None,
    width: float = 13.0,
) -> Figure:
    """Each belligerent's rung hour by hour (rung names on the axis, scenario dates on the other),
    with scheduled events, invocations, offers, concessions and ceasefires marked above."""
    horizon = scenario.horizon_hours
    upto = horizon if upto is None else max(0, min(upto, horizon))
    colour = state_colours(scenario)
    fig = Figure(figsize=(width, 3.6))
    fig.subplots_adjust(left=1.45 / width, right=1.0 - 1.9 / width, bottom=0.16, top=0.92)
    ax = fig.subplots()
    hours = np.arange(upto)
    top = len(LADDER) - 0.5
    for sid, series in rungs.items():
        if upto:
            ax.step(
                _dates(scenario, hours),
                series[:upto],
                where="post",
                color=colour[sid],
                lw=2,
                label=scenario.states[sid].name,
            )
    lanes = {kind: top + 0.45 + 0.32 * i for i, kind in enumerate(MARKERS)}
    seen = set()
    for f in facts:
        scheduled = f.sources and f.sources[0].startswith("scenario event")
        for kind in (f.kind, "event") if scheduled else (f.kind,):
            if kind not in MARKERS or f.hour >= upto:
                continue
            marker, c, label = MARKERS[kind]
            ax.scatter(
                _dates(scenario, [f.hour]),
                [lanes[kind]],
                marker=marker,
                color=c,
                s=34,
                zorder=4,
                label=None if kind in seen else label,
            )
            seen.add(kind)
        if f.kind == "ceasefire" and f.hour < upto:
            ax.axvline(_dates(scenario, [f.hour])[0], color="#2ca02c", lw=1, ls="--", zorder=1)
    ax.set_yticks(range(len(LADDER)), [rung_name(r.rung) for r in LADDER], fontsize=8)
    ax.set_ylim(-0.4, top + 0.45 + 0.32 * len(MARKERS))
    ax.set_xlim(*_dates(scenario, [0, horizon]))
    ax.xaxis.set_major_locator(mdates.DayLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    ax.xaxis.set_minor_locator(mdates.HourLocator(byhour=[6, 12, 18]))
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="y", color="#eeeeee")
    ax.set_ylabel("escalation rung", fontsize=8)
    ax.set_xlabel(f"date ({scenario.start:%Y}, hour 0 = {scenario.start:%d %b %H:%M})", fontsize=8)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    ax.set_title("The escalation ladder", fontsize=9)
    return fig


def save_run_figure(scenario: Scenario, result, path: Path) -> None:
    """One finished run's ladder and events on a timeline, as a PNG (``escsim narrate --figure``)."""
    from sim.analysis.narrate import facts
    from sim.experiments.storage import atomic_file

    fighters = belligerents(scenario)
    rungs = {sid: result.series[f"rung.{sid}"].to_numpy() for sid in fighters}
    fig = ladder_figure(scenario, rungs, facts(scenario, result.events), width=11.0)
    fig.axes[0].set_title(f"{scenario.title}: one run, its ladder and what happened", fontsize=9)
    atomic_file(path, lambda tmp: fig.savefig(tmp, format="png", dpi=130))


def ensemble_figure(
    scenario: Scenario,
    frames: Sequence[pd.DataFrame],
    names: Sequence[str],
    columns: Sequence[str],
    labels: dict[str, str],
    width: float = 10.0,
) -> Figure:
    """Distributions of a few outcomes, one histogram per scenario side by side, with the observed
    figures (reported and revised, numbers or ranges) marked as the ensemble plots mark them."""
    ncol = min(3, len(columns))
    nrow = -(-len(columns) // ncol)
    fig = Figure(figsize=(width, 2.6 * nrow), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol)).ravel()
    for ax, col in zip(axes, columns, strict=False):
        values = [as_numbers(f, col, scenario).dropna().to_numpy() for f in frames]
        lo = min((v.min() for v in values if v.size), default=0.0)
        hi = max((v.max() for v in values if v.size), default=1.0)
        bins = np.linspace(lo, hi if hi > lo else lo + 1, 16)
        ax.hist(values, bins=bins, label=list(names), color=COLOURS[: len(values)], alpha=0.85)
        mark_observed(ax, scenario.observed.get(col))
        ax.set_title(labels.get(col, col), fontsize=8)
        ax.set_ylabel("runs", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6.5)
    for ax in axes[len(columns) :]:
        ax.set_visible(False)
    return fig
