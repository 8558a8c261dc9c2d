"""Figures of one run for a classroom: the theatre map, the escalation ladder over time with what
happened marked on it, and an ensemble's outcome distributions. Plain matplotlib, so they render
the same in the browser page (as images: no JavaScript to fetch), in ``escsim narrate --figure`` and
in a notebook.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import PIL.Image
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
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


def radii(scenario: Scenario, pos: dict[str, tuple[float, float]]) -> dict[str, float]:
    """Each sector's disc on the map (degrees), its area as the disc's: the largest 4 % of the
    theatre's extent (at least of a degree), so discs stay visible on a wide theatre."""
    xs, ys = zip(*pos.values(), strict=True)
    extent = max(max(xs) - min(xs), max(ys) - min(ys), 1.0)
    largest = max(s.area_km2 for s in scenario.sectors.values())
    return {sid: 0.04 * extent * np.sqrt(s.area_km2 / largest) for sid, s in scenario.sectors.items()}


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
        landed = int(hit.group(1)) - int(hit.group(2) or 0)
        for name in names:
            if name in by_name:
                out[by_name[name]] = out.get(by_name[name], 0) + landed // len(names)
                out[by_name[name]] = max(out[by_name[name]], 1)
    return out


class Backdrop:
    """A figure redrawn cheaply, frame after frame: its static parts (axes, ticks, names) are drawn
    once and kept as pixels; each frame restores them and draws only the artists that change over
    them (matplotlib's blitting), then encodes the pixels as a PNG. ``on_top``: static artists that
    must stay above the changing ones (labels, a legend): drawn once on a transparent layer, laid
    over each frame."""

    def __init__(self, fig: Figure, on_top: Sequence[Artist] = ()) -> None:
        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        for artist in on_top:
            artist.set_visible(False)
        self.canvas.draw()
        self.pixels = self.canvas.copy_from_bbox(fig.bbox)
        self.overlay = None
        if on_top:
            renderer = self.canvas.get_renderer()
            renderer.clear()  # transparent
            for artist in sorted(on_top, key=lambda a: a.get_zorder()):
                artist.set_visible(True)
                artist.draw(renderer)
            self.overlay = self.image().copy()
            self.canvas.restore_region(self.pixels)

    def image(self) -> PIL.Image.Image:
        width, height = self.canvas.get_width_height(physical=True)
        return PIL.Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)

    def png(self, artists: Sequence[Artist]) -> bytes:
        """One frame: the kept pixels, then ``artists`` (added to the figure by the caller; removed
        again here), then the ``on_top`` layer, as PNG bytes."""
        self.canvas.restore_region(self.pixels)
        renderer = self.canvas.get_renderer()
        try:
            for artist in sorted(artists, key=lambda a: a.get_zorder()):
                artist.draw(renderer)
        finally:
            for artist in artists:
                with contextlib.suppress(NotImplementedError):  # a permanent artist (a title): kept
                    artist.remove()
        image = self.image()
        if self.overlay is not None:
            image = PIL.Image.alpha_composite(image, self.overlay)
        out = io.BytesIO()
        image.convert("RGB").save(out, format="png", compress_level=1)  # fast; sent over loopback or a LAN
        return out.getvalue()


def map_background(model, width: float = 7.5) -> tuple[Figure, list[Artist]]:
    """The theatre's static parts: the sector graph, the sectors' names and rims (border sectors
    ringed), the legend (below the axes), the axes. Returns the figure and the artists that must
    stay on top of the changing ones (names, rims)."""
    spec = model.spec
    pos, colour = positions(spec), state_colours(spec)
    fig = Figure(figsize=(width, width * 0.82))
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.15, top=0.95)
    ax = fig.subplots()
    _links(ax, pos, model.space.G.edges, "#bbbbbb", 0.8, zorder=1)
    radius = radii(spec, pos)
    rims, on_top = [], []
    for sid, sector in model.sectors.items():
        x, y = pos[sid]
        r = radius[sid]
        rims.append(Circle((x, y), r))
        on_top.append(
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
        )
    borders = ["black" if s.spec.border else "none" for s in model.sectors.values()]
    on_top.append(
        ax.add_collection(
            PatchCollection(rims, facecolors="none", edgecolors=borders, linewidths=0.8, zorder=4),
            autolim=False,
        )
    )
    for sid, c in colour.items():
        if model.sectors_of[sid]:
            ax.scatter([], [], color=c, s=60, label=f"held by {spec.states[sid].name}")
    ax.plot([], [], color="#d62728", lw=3, label="front under fire")
    ax.scatter([], [], marker="*", s=90, color="#ffdd00", edgecolor="black", label="deep strikes, last 24 h")
    handles, _ = ax.get_legend_handles_labels()  # below the axes: nothing on the map hides under it
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=7, frameon=False)
    ax.set_aspect(1.0 / np.cos(np.radians(np.mean([p[1] for p in pos.values()]))))
    xs, ys = zip(*pos.values(), strict=True)
    pad_x, pad_y = 0.12 * (max(xs) - min(xs)) + 0.05, 0.12 * (max(ys) - min(ys)) + 0.05
    ax.set_xlim(min(xs) - pad_x, max(xs) + 2 * pad_x)  # room on the right for the names
    ax.set_ylim(min(ys) - pad_y, max(ys) + pad_y)
    ax.set_xlabel("longitude (°)", fontsize=8)
    ax.set_ylabel("latitude (°)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_title(" ", fontsize=9)  # the hour's title is drawn with each frame
    return fig, on_top


def _links(ax, pos, pairs, colors, widths, zorder: int) -> Artist:
    """Lines between pairs of sectors (borders between neighbours, or fronts), in one collection."""
    lines = LineCollection(
        [(pos[u], pos[v]) for u, v in pairs], colors=colors, linewidths=widths, zorder=zorder
    )
    return ax.add_collection(lines, autolim=False)


def map_layers(model, ax) -> list[Artist]:
    """What changes hour by hour on the map: fronts drawn as thick as the fire exchanged across
    them now (the model's ``firing``: quiet under a ceasefire), each sector's holders as wedges of
    their colours, deep strikes of the last 24 h starred, the title with the hour."""
    spec = model.spec
    pos, colour = positions(spec), state_colours(spec)
    holder = {sid: model.states[s.holder] for sid, s in model.sectors.items()}
    fire = [model.firing(holder[u], holder[v]) for u, v in model.fronts]
    artists: list[Artist] = [
        _links(
            ax,
            pos,
            model.fronts,
            ["#d62728" if f else "#555555" for f in fire],
            [1.0 + 3.0 * f for f in fire],
            zorder=2,
        )
    ]
    radius = radii(spec, pos)
    wedges, faces = [], []
    for sid, sector in model.sectors.items():
        x, y = pos[sid]
        r = radius[sid]
        start = 90.0
        for held_by, km2 in sorted(sector.control.items(), key=lambda kv: kv[0] != sector.owner):
            share = 360.0 * km2 / sector.spec.area_km2
            if share <= 0.5:
                continue
            wedges.append(Wedge((x, y), r, start, start + share))
            faces.append(colour[held_by])
            start += share
    artists.append(
        ax.add_collection(
            PatchCollection(wedges, facecolors=faces, edgecolors="white", zorder=3), autolim=False
        )
    )
    for sid, n in struck_sectors(spec, model.log.rows, max(0, model.hour - 23)).items():
        x, y = pos[sid]
        artists.append(
            ax.scatter(
                [x], [y], marker="*", s=60 + 25 * min(n, 10), color="#ffdd00", edgecolor="black", zorder=6
            )
        )
    when = spec.start + dt.timedelta(hours=max(model.hour, 0))
    ax.set_title(f"{spec.name}: the theatre at {when:%d %b %H:%M} (hour {max(model.hour, 0)})", fontsize=9)
    artists.append(ax.title)
    return artists


def map_figure(model, width: float = 7.5) -> Figure:
    """The theatre now: each sector at its coordinates, coloured by its holder, with the share taken
    by another state as a wedge of that state's colour; fronts drawn as thick as this hour's fire;
    deep strikes of the last 24 h starred."""
    fig, _ = map_background(model, width)
    map_layers(model, fig.axes[0])
    return fig


class MapFrames:
    """The map of one model, frame by frame (the classroom page): the background once, then a PNG
    per hour shown."""

    def __init__(self, model, width: float = 7.5) -> None:
        self.model = model
        self.backdrop = Backdrop(*map_background(model, width))

    def png(self) -> bytes:
        return self.backdrop.png(map_layers(self.model, self.backdrop.fig.axes[0]))


def _dates(scenario: Scenario, hours) -> list[dt.datetime]:
    start = scenario.start.replace(tzinfo=None)
    return [start + dt.timedelta(hours=int(h)) for h in hours]


def ladder_background(scenario: Scenario, states: Sequence[str], width: float = 13.0) -> Figure:
    """The ladder's static parts: rung names on one axis, the scenario's dates on the other, and the
    legend (the ``states`` drawn and every kind of mark)."""
    horizon = scenario.horizon_hours
    colour = state_colours(scenario)
    fig = Figure(figsize=(width, 3.6))
    fig.subplots_adjust(left=1.45 / width, right=1.0 - 1.9 / width, bottom=0.16, top=0.92)
    ax = fig.subplots()
    top = len(LADDER) - 0.5
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
    ax.set_title("The escalation ladder", fontsize=9)
    keys = [Line2D([], [], color=colour[sid], lw=2, label=scenario.states[sid].name) for sid in states]
    keys += [
        Line2D([], [], ls="", marker=marker, color=c, markersize=6, label=label)
        for marker, c, label in MARKERS.values()
    ]
    ax.legend(handles=keys, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    return fig


def ladder_layers(
    ax, scenario: Scenario, rungs: dict[str, np.ndarray], facts: Sequence[Fact], upto: int | None = None
) -> list[Artist]:
    """Each belligerent's rung hour by hour up to ``upto``, with scheduled events, invocations,
    offers, concessions and ceasefires marked above (one lane per kind)."""
    horizon = scenario.horizon_hours
    upto = horizon if upto is None else max(0, min(upto, horizon))
    colour = state_colours(scenario)
    hours = np.arange(upto)
    top = len(LADDER) - 0.5
    artists: list[Artist] = []
    for sid, series in rungs.items():
        if upto:
            artists += ax.step(_dates(scenario, hours), series[:upto], where="post", color=colour[sid], lw=2)
    marks: dict[str, list[int]] = {kind: [] for kind in MARKERS}
    for f in facts:
        if f.hour >= upto:
            continue
        scheduled = f.sources and f.sources[0].startswith("scenario event")
        for kind in (f.kind, "event") if scheduled else (f.kind,):
            if kind in marks:
                marks[kind].append(f.hour)
        if f.kind == "ceasefire":
            artists.append(
                ax.axvline(_dates(scenario, [f.hour])[0], color="#2ca02c", lw=1, ls="--", zorder=1)
            )
    for i, (kind, when) in enumerate(marks.items()):
        if when:
            marker, c, _ = MARKERS[kind]
            lane = top + 0.45 + 0.32 * i
            artists += ax.plot(
                _dates(scenario, when), [lane] * len(when), ls="", marker=marker, color=c, ms=6, zorder=4
            )
    return artists


def ladder_figure(
    scenario: Scenario,
    rungs: dict[str, np.ndarray],
    facts: Sequence[Fact],
    upto: int | None = None,
    width: float = 13.0,
) -> Figure:
    """Each belligerent's rung hour by hour (rung names on the axis, scenario dates on the other),
    with scheduled events, invocations, offers, concessions and ceasefires marked above."""
    fig = ladder_background(scenario, list(rungs), width)
    ladder_layers(fig.axes[0], scenario, rungs, facts, upto)
    return fig


class LadderFrames:
    """The ladder of one model, frame by frame (the classroom page); its background is drawn again
    only when the set of states drawn changes (a state joins the war)."""

    def __init__(self, scenario: Scenario, width: float = 13.0) -> None:
        self.scenario, self.width = scenario, width
        self.states: tuple[str, ...] | None = None
        self.backdrop: Backdrop | None = None

    def png(self, rungs: dict[str, np.ndarray], facts: Sequence[Fact], upto: int) -> bytes:
        if self.backdrop is None or tuple(rungs) != self.states:
            self.states = tuple(rungs)
            self.backdrop = Backdrop(ladder_background(self.scenario, self.states, self.width))
        ax = self.backdrop.fig.axes[0]
        return self.backdrop.png(ladder_layers(ax, self.scenario, rungs, facts, upto))


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
        ax.set_ylim(0, ax.get_ylim()[1] * 1.45)  # headroom: the legend sits above the bars
        ax.legend(fontsize=6.5, loc="upper center", ncol=2, frameon=False)
    for ax in axes[len(columns) :]:
        ax.set_visible(False)
    return fig
