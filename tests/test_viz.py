"""The classroom: the narrative in plain words, the figures, the page's settings, and the page itself
in a real (headless) browser — Debian's chromium driven by Playwright.

The browser tests skip, saying why, where no chromium or no Playwright is installed (``make test``
installs chromium with apt when it runs as root, as CI does). Screenshots land in results/classroom/.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import matplotlib.colors
import pandas as pd
import pytest
from matplotlib.collections import LineCollection

import sim
from sim.analysis.narrate import STRIKES, facts, lines, outcome_lines, plain, timeline
from sim.cli import main
from sim.model.ceasefire import Agreement
from sim.model.escalation import EscalationModel
from sim.model.ladder import FIGHTING
from sim.model.parties import belligerents
from sim.scenario.schema import Observed, Scenario
from sim.viz.app import baseline_of, model_params, scenario_menu
from sim.viz.figures import LadderFrames, MapFrames, ladder_figure, map_figure, positions, struck_sectors
from sim.viz.server import banner, server_command, server_env

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "sept2022.toml"
SHOTS = ROOT / "results" / "classroom"


@pytest.fixture(scope="module")
def baseline():
    return sim.load_scenario(BASELINE)


@pytest.fixture(scope="module")
def one_run(baseline):
    return sim.run(baseline, 3)


# --- the narrative ------------------------------------------------------------------------------
def test_plain_words_turn_ids_into_words_and_drop_source_tags():
    assert plain("signals it could concede recognise_borders") == "signals it could concede recognise borders"
    assert plain("`corridor` is a red line") == "corridor is a red line"
    assert plain("appeals to the CSTO [seed]; hour assumed") == "appeals to the CSTO; hour assumed"


def test_narrative_has_names_not_ids_rounded_numbers_and_no_raw_tags(baseline, one_run):
    text = timeline(baseline, one_run.events, one_run.outcomes)
    for raw in ("RUS_MED", "recognise_borders", "`", "[seed]", "[design]", "nan", "ceasefire_hour"):
        assert raw not in text, raw
    assert not re.search(r"\d+\.\d{3,}", text), "unrounded number"
    assert "Azerbaijan attacks to seize Armenia's territory" in text


def test_repeated_advances_and_strikes_are_summed_once_per_day(baseline, one_run):
    found = facts(baseline, one_run.events)
    advances = [f for f in found if f.kind == "advance"]
    days = {(f.text.split(" takes ")[0], f.hour // 24) for f in advances}
    assert len(advances) == len(days) >= 1  # one line per attacker and day, not one per hour
    hourly = one_run.events["reason"].str.endswith("km² taken this hour").sum()
    assert hourly > len(advances)
    km2 = sum(float(re.search(r"takes ([\d.]+) km²", f.text).group(1)) for f in advances)
    # each hourly line is rounded to 0.1 km² before the day's lines are summed
    assert math.isclose(km2, one_run.outcomes["territory_lost_km2.ARM"], abs_tol=0.05 * hourly + 0.1)


def test_intercepted_strikes_are_summed_with_the_strikes_launched():
    """India's air defences (India–Pakistan 2025): a day's strikes on India are one line that says
    how many were launched and how many intercepted, and the map stars only those that landed."""
    scenario = sim.load_scenario(ROOT / "scenarios/crises/india-pakistan-2025-05.toml")
    model = EscalationModel(scenario, 1, collect=False).run()
    log = model.log.to_frame()
    counts = log[log.target == "India"].reason.str.extract(STRIKES.pattern).dropna(subset=[0])
    launched = counts[0].astype(int).sum()
    stopped = pd.to_numeric(counts[1]).fillna(0).sum()
    assert 0 < stopped < launched
    lines_on_india = [
        f.text for f in facts(scenario, log) if f.kind == "strikes" and "inside India" in f.text
    ]
    summed = [re.search(r"(\d+) times? in \d+ hours?(?:, (\d+) intercepted)?", t) for t in lines_on_india]
    assert all(summed) and sum(int(m.group(1)) for m in summed) == launched
    assert sum(int(m.group(2) or 0) for m in summed) == stopped
    struck = struck_sectors(scenario, list(log.itertuples()), 0)
    assert sum(n for sid, n in struck.items() if scenario.sectors[sid].owner == "IND") <= launched - stopped


def test_sources_toggle_shows_where_each_fact_comes_from(baseline, one_run):
    found = facts(baseline, one_run.events)
    with_sources = lines(baseline, found, sources=True)
    assert len(with_sources) > len(lines(baseline, found))
    assert any("scenario event `offensive`" in s and "[seed]" in s for s in with_sources)
    assert all(f.sources for f in found)


def test_outcome_in_plain_words(baseline, one_run):
    words = "\n".join(outcome_lines(baseline, one_run.outcomes))
    assert "Armenia:" in words and "soldiers killed" in words and "nan" not in words
    censored = {**one_run.outcomes, "ceasefire_hour": float("nan"), "ceasefire_broker": "none"}
    assert "no lasting ceasefire by the end of the run" in outcome_lines(baseline, censored)[0]


def test_narrate_figure_writes_a_timeline_png(tmp_path, capsys):
    out = tmp_path / "run.png"
    assert main(["narrate", str(BASELINE), "--seed", "3", "--figure", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Azerbaijan attacks" in capsys.readouterr().out


# --- figures and settings -----------------------------------------------------------------------
def test_every_sector_has_a_map_position_from_the_scenario(baseline):
    pos = positions(baseline)
    assert set(pos) == set(baseline.sectors)
    for sid, s in baseline.sectors.items():
        assert s.lon is not None and s.lat is not None, f"{sid} has no coordinates"
        assert pos[sid] == (s.lon, s.lat)


def test_map_and_ladder_draw_a_run_in_progress(baseline):
    model = EscalationModel(baseline, 3)
    model.run_for(30)
    found = facts(baseline, model.log.to_frame())
    ladder = ladder_figure(
        baseline, {s.id: model.series[f"rung.{s.id}"] for s in model.belligerents}, found, 30
    )
    labels = [t.get_text() for t in ladder.axes[0].get_yticklabels()]
    assert labels[0] == "0 ceasefire" and labels[-1] == "6 full war"
    assert map_figure(model).axes[0].get_title().startswith("sept2022: the theatre at 14 Sep 06:05")


def test_page_settings_are_valid_model_keywords(baseline):
    params = model_params(BASELINE, baseline)
    assert params["file"] == "scenarios/sept2022.toml"  # fixed: Reset rebuilds the scenario shown
    assert "(hours)" in params["mediators__USA__arrival_hour"]["label"]
    values = {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()}
    values["mediators__EU__arrival_hour"] = 30
    values["rng"] = 4
    # what SolaraViz's Reset does with them (Mesa's own function): the file goes to the model's Mesa
    # scenario record, the rest to the constructor as keywords
    from mesa.visualization.solara_viz import _build_model_init_kwargs

    first = EscalationModel(ROOT / "scenarios" / "whatif" / "envoy_late.toml", rng=1)
    kwargs = _build_model_init_kwargs(
        first, values, add_scenario_when_empty=True, require_model_accepts_scenario=True
    )
    model = type(first)(**kwargs)
    assert model.spec.name == "sept2022" and model.spec.mediators["EU"].arrival_hour == 30
    assert model.scenario.file == "scenarios/sept2022.toml"


def test_scenario_menu_lists_every_scenario_file_and_each_gets_its_own_settings():
    files, others = scenario_menu(BASELINE)
    on_disk = {str(p.relative_to(ROOT)) for p in (ROOT / "scenarios").rglob("*.toml")}
    assert set(files) | set(others) == on_disk
    assert others == ["scenarios/behaviour.toml"]  # shared behaviour, not a whole scenario
    assert "scenarios/whatif/envoy_late.toml" in files
    assert len([f for f in files if "crises/" in f]) >= 4
    crisis = ROOT / "scenarios" / "crises" / "india-pakistan-2025-05.toml"
    spec = sim.load_scenario(crisis)
    params = model_params(crisis, spec)
    assert params["file"] == "scenarios/crises/india-pakistan-2025-05.toml"
    assert not [k for k in params if "__USA__" in k and k.split("__")[1] not in spec.mediators]
    assert {k.split("__")[1] for k in params if k.startswith("mediators__")} == set(spec.mediators)
    # the ensemble tab compares a what-if with the scenario it extends, a crisis with itself
    assert baseline_of(ROOT / "scenarios" / "whatif" / "no_us_envoy.toml") == BASELINE
    assert baseline_of(crisis) == crisis


def test_who_fights_honours_adversaries_in_every_view(baseline):
    data = baseline.model_dump()
    data["states"]["AZE"].update(adversary=None, adversaries=("ARM",))
    data["states"]["ARM"]["adversary"] = None  # enmity is symmetric: AZE's list names it
    listed = Scenario.model_validate(data)
    assert belligerents(listed) == belligerents(baseline) == ["AZE", "ARM"]
    for path in scenario_menu(BASELINE)[0]:
        spec = sim.load_scenario(ROOT / path)
        assert belligerents(spec) == [s.id for s in EscalationModel(spec, 1).belligerents], path


def test_map_draws_a_front_under_ceasefire_as_quiet(baseline):
    model = EscalationModel(baseline, 3)
    model.run_for(6)
    azerbaijan, armenia = model.states["AZE"], model.states["ARM"]
    assert azerbaijan.rung >= FIGHTING and model.fronts
    fronts = [(u, v) for u, v in model.fronts]

    def drawn() -> list:
        fig = map_figure(model)
        lines = [c for c in fig.axes[0].collections if isinstance(c, LineCollection)][1]  # after the graph
        return [tuple(c) for c in lines.get_colors()]

    red = matplotlib.colors.to_rgba("#d62728")
    assert red in drawn() and model.firing(azerbaijan, armenia) > 0
    key = frozenset(("AZE", "ARM"))
    model.agreements[key] = Agreement(
        ("AZE", "ARM"), "USA", "mediated", model.hour, (), 1.0
    )  # rungs unchanged
    assert azerbaijan.rung >= FIGHTING and model.fronts == fronts
    assert model.firing(azerbaijan, armenia) == 0.0
    assert red not in drawn()


def test_observed_headline_is_the_reported_figure_else_the_revised_one(baseline):
    both = Observed(reported=10, revised=[20, 30])
    assert both.headline == 10 and Observed(revised=[20, 30]).headline == (20.0, 30.0)
    assert (
        baseline.observed["military_deaths.ARM"].headline == baseline.observed["military_deaths.ARM"].reported
    )


def test_page_figures_redraw_only_what_changes(baseline):
    model = EscalationModel(baseline, 3)
    frames, ladder = MapFrames(model), LadderFrames(baseline)
    first = frames.png()
    model.run_for(30)
    rungs = {s.id: model.series[f"rung.{s.id}"] for s in model.belligerents}
    found = facts(baseline, model.log.to_frame())
    for png in (first, frames.png(), ladder.png(rungs, found, 30)):
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert frames.png() != first and frames.png() == frames.png()  # the hour's map, the same each time


def test_banner_says_how_to_share_the_page():
    assert "--host 0.0.0.0" in banner("127.0.0.1", 8765)
    assert "--no-check-version" in server_command("127.0.0.1", 8765)
    assert server_env(BASELINE)["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"


def test_app_refuses_a_bad_scenario(tmp_path, capsys):
    assert main(["app", str(tmp_path / "missing.toml")]) == 2
    assert "no such scenario file" in capsys.readouterr().err


# --- in a browser -------------------------------------------------------------------------------
def chromium() -> str:
    found = os.environ.get("ESCSIM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("no chromium: install Debian's `chromium` (make test does, as root) to run browser tests")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def page_url():
    chromium()
    pytest.importorskip("playwright", reason="playwright is not installed (pip install -e .[dev])")
    port = free_port()
    proc = subprocess.Popen(
        server_command("127.0.0.1", port),
        env=server_env(BASELINE),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"the page server stopped: {proc.stderr.read().decode()[-2000:]}")
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser(page_url):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        yield b
        b.close()


def open_page(browser, url):
    context = browser.new_context(viewport={"width": 1500, "height": 2000})
    page = context.new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(url)
    page.wait_for_selector("text=+1 day", timeout=90_000)
    page.wait_for_selector("img", timeout=30_000)
    return context, page, failed


def images(page) -> list[str]:
    return [img.get_attribute("src") or "" for img in page.locator("img").all()]


def hour_shown(page) -> int:
    return int(re.search(r"hour (\d+) of", page.locator("text=/hour \\d+ of/").inner_text()).group(1))


def test_page_steps_two_days_and_shows_map_ladder_and_first_attack(browser, page_url):
    context, page, failed = open_page(browser, page_url)
    before = images(page)
    assert len(before) >= 2  # the map and the ladder
    seed = page.locator('[role=slider][aria-label="Seed (run number)"]')
    seed.focus()
    for _ in range(2):
        seed.press("ArrowRight")
    assert seed.get_attribute("aria-valuenow") == "3"
    page.get_by_role("button", name="Reset", exact=True).click()
    page.wait_for_timeout(500)
    for _ in range(2):
        page.get_by_role("button", name="+1 day").click()
        page.wait_for_function(
            "document.body.innerText.includes('hour 24 of') || "
            "document.body.innerText.includes('hour 48 of')",
            timeout=30_000,
        )
    page.wait_for_selector("text=hour 48 of", timeout=30_000)
    page.wait_for_timeout(1000)
    after = images(page)
    assert after[0] != before[0] and after[1] != before[1]  # the map and the ladder changed
    narrative = page.locator(".narrative").inner_text()
    assert "Azerbaijan attacks to seize Armenia's territory" in narrative
    assert "13 Sep 00:05" in narrative and "RUS_MED" not in narrative and "source:" not in narrative
    page.screenshot(path=str(SHOTS / "classroom.png"), clip={"x": 0, "y": 0, "width": 1500, "height": 1180})
    page.get_by_text("Show the sources of each fact").click()
    page.wait_for_function(
        "document.querySelector('.narrative').innerText.includes('source: scenario event')"
    )
    page.screenshot(path=str(SHOTS / "page-48h.png"), full_page=True)
    assert not [f for f in failed if "/_solara/cdn/" in f], f"assets fetched from the internet: {failed}"
    context.close()


def test_picking_a_crisis_rebuilds_the_page_for_its_actors(browser, page_url):
    context, page, failed = open_page(browser, page_url)
    assert "Azerbaijan" in page.locator(".map-caption").inner_text()
    menu = page.locator(".scenario-menu")
    menu.click()
    page.get_by_role("option", name="scenarios/crises/india-pakistan-2025-05.toml").click()
    page.wait_for_selector("text=India–Pakistan strikes and counter-strikes", timeout=30_000)
    page.wait_for_function(
        "document.querySelector('.map-caption') && "
        "document.querySelector('.map-caption').innerText.includes('India')",
        timeout=30_000,
    )
    before = images(page)
    page.get_by_role("button", name="+1 day").click()
    page.wait_for_selector("text=hour 24 of 240", timeout=30_000)
    page.wait_for_timeout(1000)
    caption = page.locator(".map-caption").inner_text()
    assert "India" in caption and "Pakistan" in caption and "Azerbaijan" not in caption
    narrative = page.locator(".narrative").inner_text()
    assert "India strikes deep inside Pakistan" in narrative
    after = images(page)
    assert after[0] != before[0] and after[1] != before[1]  # the map and the ladder drew the crisis
    sidebar = page.locator(".v-navigation-drawer").inner_text()
    assert "Saudi Arabia" in sidebar and "OSCE Minsk Group" not in sidebar  # its own mediators' settings
    page.screenshot(path=str(SHOTS / "crisis-24h.png"), full_page=True)
    page.get_by_role("tab", name="Charts").click()  # Mesa's own chart component, on its own tab
    page.wait_for_function("document.querySelectorAll('img').length >= 4", timeout=30_000)
    page.locator(".narrative").wait_for(state="hidden", timeout=30_000)  # the tab has slid in
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / "charts.png"), full_page=True)
    assert not [f for f in failed if "/_solara/cdn/" in f], f"assets fetched from the internet: {failed}"
    context.close()


def test_ensemble_tab_runs_twenty_paired_runs(browser, page_url):
    context, page, _ = open_page(browser, page_url)
    page.get_by_role("tab", name="Ensemble").click()
    page.get_by_role("button", name="Run ensemble").click()
    page.wait_for_selector("text=20 runs each; done.", timeout=150_000)
    table = page.locator(".comparison").inner_text()
    assert "B − A [95 % CI]" in table and "military_deaths.ARM" in table
    page.screenshot(path=str(SHOTS / "ensemble.png"), full_page=True)
    context.close()


def test_two_browser_sessions_have_independent_models(browser, page_url):
    (ca, a, _), (cb, b, _) = open_page(browser, page_url), open_page(browser, page_url)
    a.get_by_role("button", name="+1 day").click()
    a.wait_for_selector("text=hour 24 of", timeout=30_000)
    b.wait_for_timeout(500)
    assert hour_shown(b) == 0
    b.get_by_role("button", name="+1 hour").click()
    b.wait_for_selector("text=hour 1 of", timeout=30_000)
    assert hour_shown(a) == 24
    a.screenshot(path=str(SHOTS / "session-a.png"))
    b.screenshot(path=str(SHOTS / "session-b.png"))
    ca.close()
    cb.close()
