"""The classroom page (``escsim app``): Mesa's SolaraViz with a map of the theatre, the escalation
ladder over time, the narrative so far in plain words, and an ensemble tab.

Mesa's SolaraViz gives the frame: the title bar, the Reset / ▶ / Step controls and the model
parameters (the key what-if settings of the scenario shown, as sliders and switches with their
units; they apply on Reset). The page adds a scenario menu (every scenario file in scenarios/;
picking one rebuilds the controls, map and ladder for its actors), stepping by the hour or by the
day (a day is 24 model steps and one redraw), and draws its figures itself with matplotlib, as
images, so nothing needs JavaScript from the internet. The map and the ladder keep their static
parts as pixels and redraw only what changed (``figures.Backdrop``); Mesa's own chart component
draws on its own tab, only while that tab is open.

Each browser session gets its own model: everything lives in component state (``use_reactive``,
``use_memo``), nothing at module level but constants. The scenario the server was started with
comes from the ``ESCSIM_APP_SCENARIO`` environment variable (set by ``escsim app``).
"""

from __future__ import annotations

import html
import os
import tomllib
import warnings
from pathlib import Path

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.components.matplotlib_components import PlotMatplotlib
from mesa.visualization.utils import force_update, update_counter

from sim.analysis.compare import compare, format_rows
from sim.analysis.narrate import facts, lines, outcome_lines
from sim.analysis.outcomes import label, outcome_columns
from sim.experiments.runner import simulate_ensemble
from sim.model.escalation import DEFAULT_SCENARIO, EscalationModel, resolve_scenario
from sim.model.parties import belligerents
from sim.scenario.loading import ScenarioError, load_scenario
from sim.scenario.schema import Mechanisms, Scenario
from sim.viz.figures import LadderFrames, MapFrames, ensemble_figure, state_colours

ROOT = DEFAULT_SCENARIO.parents[1]
ENV = "ESCSIM_APP_SCENARIO"
SHARE_NOTE = (
    "This page listens on this computer only (127.0.0.1). To let a classroom open it, start it with "
    "`escsim app --host 0.0.0.0` and give students http://ADDRESS:PORT/, where ADDRESS is this "
    "computer's address on the classroom network."
)


def start_scenario() -> Path:
    return Path(os.environ.get(ENV, str(DEFAULT_SCENARIO))).resolve()


def shown(path: Path) -> str:
    """A scenario file as the page names it: from the repository root when it lies inside (the model
    finds such paths from any working folder), else in full."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def scenario_folder(start: Path) -> Path:
    return start.parent.parent if start.parent.name == "whatif" else start.parent


def scenario_menu(start: Path) -> tuple[list[str], list[str]]:
    """Every scenario file in the repository's scenarios/ (what-ifs and crises included) and, for a
    scenario started from elsewhere, in its folder; and the files there that are not whole
    scenarios (a shared behaviour file), which the menu leaves out."""
    files, others = set(), set()
    folders = {DEFAULT_SCENARIO.parent, scenario_folder(start)}
    for path in {start, *(p for folder in folders for p in folder.rglob("*.toml"))}:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                load_scenario(path)
            files.add(shown(path))
        except ScenarioError:
            others.add(shown(path))
    order = lambda f: (f.count("/"), f)  # noqa: E731
    return sorted(files, key=order), sorted(others, key=order)


def baseline_of(path: Path) -> Path:
    """What a scenario file is compared with in the ensemble tab: the whole scenario it ``extends``
    (a what-if's baseline), else itself (a crisis extends only shared behaviour)."""
    with open(path, "rb") as f:
        extends = tomllib.load(f).get("extends")
    if isinstance(extends, str):
        parent = (path.parent / extends).resolve()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                load_scenario(parent)
            return parent
        except ScenarioError:
            pass
    return path


def _slider(kind: str, label: str, value: float, low: float, high: float, step: float) -> dict:
    return {"type": kind, "label": label, "value": value, "min": low, "max": high, "step": step}


def model_params(start: Path, scenario: Scenario) -> dict:
    """SolaraViz model parameters of one scenario: its file (fixed), the seed and the key what-if
    settings of its actors, named by the model's keyword-safe override keys so that Reset passes
    them to the constructor."""
    horizon = scenario.horizon_hours
    params: dict = {
        "file": shown(start),  # fixed: Reset rebuilds this scenario (the page's menu picks another)
        "rng": _slider("SliderInt", "Seed (run number)", 1, 0, 99, 1),
    }
    for mid, m in scenario.mediators.items():
        params[f"mediators__{mid}__enabled"] = {
            "type": "Checkbox",
            "label": f"{m.name} takes part",
            "value": m.enabled,
        }
        params[f"mediators__{mid}__arrival_hour"] = _slider(
            "SliderInt", f"{m.name} arrives after (hours)", int(m.arrival_hour), 0, horizon, 1
        )
    for aid, a in scenario.alliances.items():
        params[f"alliances__{aid}__honour_prior"] = _slider(
            "SliderFloat", f"{a.name}: chance allies honour the treaty (0–1)", a.honour_prior, 0.0, 1.0, 0.05
        )
        params[f"alliances__{aid}__leader_distraction"] = _slider(
            "SliderFloat",
            f"{a.name}: leader's capacity tied up elsewhere (0–1)",
            a.leader_distraction,
            0.0,
            1.0,
            0.05,
        )
    for key, info in Mechanisms.model_fields.items():
        params[f"mechanisms__{key}"] = {
            "type": "Checkbox",
            "label": f"{info.description.rstrip('.')} (mechanism: {key})",
            "value": getattr(scenario.mechanisms, key),
        }
    return params


def new_model(start: Path, seed: int = 1) -> EscalationModel:
    return EscalationModel(start, rng=seed)


@solara.component
def StepButtons(model: solara.Reactive[EscalationModel]):
    """Step by an hour or a day (Mesa's Step button steps one hour)."""

    def advance(hours: int) -> None:
        m = model.value
        for _ in range(hours):
            if not m.running:
                break
            m.step()
        force_update()

    update_counter.get()
    done = not model.value.running
    with solara.Row(style={"align-items": "center"}):
        solara.Button("+1 hour", on_click=lambda: advance(1), disabled=done, classes=["step-hour"])
        solara.Button("+1 day", on_click=lambda: advance(24), disabled=done, classes=["step-day"])
        solara.Text(f"hour {max(model.value.hour, 0)} of {model.value.spec.horizon_hours}")


@solara.component
def MapView(model: EscalationModel):
    """The theatre, redrawn once per hour shown; its static parts are drawn once per model."""
    update_counter.get()
    frames = solara.use_memo(lambda: MapFrames(model), [model])
    png = solara.use_memo(frames.png, [model, model.time])
    solara.Image(png, classes=["map"])
    held = [(sid, s.name) for sid, s in model.spec.states.items() if model.sectors_of[sid]]
    colour = state_colours(model.spec)
    keys = " &nbsp; ".join(
        f'<span style="color:{colour[sid]}">&#9679;</span> {html.escape(name)}' for sid, name in held
    )
    solara.HTML(tag="div", unsafe_innerHTML=f"Sectors held by: {keys}", classes=["map-caption"])


@solara.component
def LadderView(model: EscalationModel):
    update_counter.get()
    frames = solara.use_memo(lambda: LadderFrames(model.spec), [model])

    def draw() -> bytes:
        rungs = {s.id: model.series[f"rung.{s.id}"] for s in model.belligerents}
        return frames.png(rungs, facts(model.spec, model.log.to_frame()), upto=model.hour + 1)

    solara.Image(solara.use_memo(draw, [model, model.time]), classes=["ladder"])


@solara.component
def NarrativeView(model: EscalationModel):
    update_counter.get()
    show_sources = solara.use_reactive(False)
    spec = model.spec
    found = solara.use_memo(lambda: facts(spec, model.log.to_frame()), [model, model.time])
    with solara.Card("What happened, in plain words"):
        solara.Switch(label="Show the sources of each fact", value=show_sources)
        text = lines(spec, found, sources=show_sources.value) or ["(nothing yet: step the model)"]
        if not model.running:
            text += ["", "Outcome:", *outcome_lines(spec, model.final_outcomes)]
        text_block("\n".join(text), "narrative")


KEY_OUTCOMES = ("fighting_hours", "ceasefire_hour", "military_deaths", "displaced", "territory_lost_km2")


def ensemble_columns(scenario: Scenario) -> list[str]:
    """The key outcomes of the belligerents, those with an observed value first."""
    fighters = belligerents(scenario)
    cols = [c for c in outcome_columns(scenario) if c.split(".")[0] in KEY_OUTCOMES]
    cols = [c for c in cols if "." not in c or c.split(".")[1] in fighters]
    return sorted(cols, key=lambda c: c not in scenario.observed)[:6]


def text_block(text: str, css_class: str, height: str = "460px") -> None:
    """Monospaced text that wraps and scrolls (Solara's Markdown would fetch KaTeX from the internet)."""
    solara.HTML(
        tag="div",
        unsafe_innerHTML=html.escape(text),
        classes=[css_class],
        style=f"max-height: {height}; overflow-y: auto; font-size: 13px; white-space: pre-wrap; "
        "font-family: monospace; line-height: 1.35",
    )


@solara.component
def EnsembleTab(model: EscalationModel, file: Path):
    """N runs of the chosen settings against N runs of the scenario's baseline (the scenario a
    what-if extends, else the file as it stands), paired by seed."""
    runs = solara.use_reactive(20)
    seed = solara.use_reactive(1)
    asked = solara.use_reactive(0)  # clicks on "Run ensemble"; each new one runs the ensembles

    def run_both():
        if asked.value == 0:
            return None
        base = resolve_scenario(baseline_of(file), {})
        frames = [simulate_ensemble(s, runs.value, seed.value).outcomes for s in (base, model.spec)]
        return base, model.spec, frames

    job = solara.use_thread(run_both, dependencies=[asked.value])  # off the page's event loop
    busy = job.state == solara.ResultState.RUNNING

    with solara.Card("Ensemble: many runs of these settings against the baseline"):
        solara.Text(
            "Runs are paired by seed (common random numbers): run i of both uses the same luck, so the "
            "difference is the effect of the settings. The what-if is the model as last Reset."
        )
        with solara.Row():
            solara.SliderInt("Runs", value=runs, min=10, max=200, step=10)
            solara.InputInt("Ensemble seed", value=seed)
            solara.Button("Run ensemble", on_click=lambda: asked.set(asked.value + 1), disabled=busy)
        if busy:
            solara.ProgressLinear(True)
            solara.Text(f"running {runs.value} runs of each …")
        elif job.state == solara.ResultState.ERROR:
            solara.Error(f"the ensemble failed: {job.error}")
        elif job.value is not None:
            base, what_if, frames = job.value
            names = [f"{base.name} (baseline)", f"{what_if.name} (these settings)"]
            cols = ensemble_columns(base)
            labels = {c: label(c, base) for c in cols}
            figure = ensemble_figure(base, frames, names, cols, labels)
            solara.FigureMatplotlib(figure, format="png")
            if sorted(base.states) == sorted(what_if.states):
                text_block(format_rows(names, compare(base, frames, seed.value)[0]), "comparison", "none")
            solara.Text(f"{len(frames[0])} runs each; done.", classes=["ensemble-done"])


@solara.component
def Page():
    """One visitor's page: the scenario file picked (this session's), and its page below, built
    afresh (model, controls, map, ladder) whenever another file is picked."""
    start = solara.use_memo(start_scenario, [])
    chosen = solara.use_reactive(shown(start))
    menu, others = solara.use_memo(lambda: scenario_menu(start), [])
    ScenarioPage(chosen.value, menu, others, chosen.set).key(f"scenario:{chosen.value}")


@solara.component
def ScenarioPage(file: str, menu: list[str], others: list[str], pick):
    path = solara.use_memo(lambda: resolve_path(file), [])
    made = solara.use_memo(lambda: try_model(path), [])

    def scenario_menu_row() -> None:
        solara.Select(
            "Scenario (every scenario file in scenarios/; picking one starts it afresh)",
            values=menu,
            value=file,
            on_value=pick,
            classes=["scenario-menu"],
            style={"min-width": "520px", "max-width": "640px"},
        )

    if isinstance(made, str):
        with solara.Column(style={"padding": "8px"}):
            scenario_menu_row()
            solara.Error(f"{file}: {made}")
        return
    ScenarioView(made, path, scenario_menu_row, others)


def resolve_path(file: str) -> Path:
    path = Path(file)
    return path if path.is_absolute() else ROOT / path


def try_model(path: Path) -> EscalationModel | str:
    try:
        return new_model(path)
    except ScenarioError as e:
        return str(e)


@solara.component
def ScenarioView(first: EscalationModel, path: Path, menu, others: list[str]):
    model = solara.use_reactive(first)
    params = solara.use_memo(lambda: model_params(path, first.spec), [])
    tab = solara.use_reactive(0)
    SolaraViz(
        model,
        components=[],
        model_params=params,
        name=f"escalation-sim classroom — {model.value.spec.title}",
    )
    m = model.value
    with solara.Column(style={"padding": "0 8px 8px 8px"}):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            menu()
            StepButtons(model)
        if others:
            note = f"Not whole scenarios, left out of the menu: {', '.join(others)}."
            solara.Text(note, style={"font-size": "11px", "margin-top": "-12px"})
        with solara.lab.Tabs(value=tab):
            with solara.lab.Tab("This run"):
                with solara.Columns([6, 5]):
                    with solara.Column():
                        MapView(m)
                    NarrativeView(m)
                LadderView(m)
            with solara.lab.Tab("Charts"):
                if tab.value == 1:  # drawn only while open: Mesa's chart component redraws in full
                    Fire(m)
            with solara.lab.Tab("Ensemble"):
                EnsembleTab(m, path)
        solara.Text(SHARE_NOTE, style={"font-style": "italic", "font-size": "12px"})


@solara.component
def Fire(model: EscalationModel):
    """Mesa's own plot component on the model's DataCollector: fire and deaths hour by hour."""
    update_counter.get()
    with solara.Columns([1, 1]):
        PlotMatplotlib(
            model, ["intensity"], post_process=lambda ax: _axes(ax, "fire on the line (sum of fire rates)")
        )
        PlotMatplotlib(
            model,
            [f"military_deaths.{s.id}" for s in model.belligerents],
            post_process=lambda ax: _axes(ax, "soldiers killed so far"),
        )


def _axes(ax, ylabel: str) -> None:
    ax.set_xlabel("hours since the start")
    ax.set_ylabel(ylabel)
    ax.figure.set_size_inches(5.5, 2.8)
