"""What a state weighs about the war as a whole: the coalition it faces, the forces each side could
still bring (escalation potential), and the war aims it gives up once the fighting turns against it.

The rules in isolation, then on Russia–Georgia 2008, the library's war of a patron, a client and a
great power's army: each mechanism switched off changes what Georgia believes or does, and the
crises with no patron and no ground offensive are untouched.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import sim
from sim.analysis.outcomes import outcomes
from sim.model import decision, mobilisation
from sim.model.decision import RUNGS
from sim.model.escalation import EscalationModel
from sim.model.ladder import Rung
from sim.scenario.loading import with_overrides

ROOT = Path(__file__).resolve().parent.parent
GEORGIA = ROOT / "scenarios/crises/russia-georgia-2008-08.toml"


def test_potential_is_a_share_of_the_forces_beyond_the_theatre_at_their_effectiveness():
    assert mobilisation.potential(None, 15000, 1.5, 0.05) == 0.0  # no figure: nothing beyond
    assert mobilisation.potential(1_015_000, 15000, 1.5, 0.05) == pytest.approx(0.05 * 1_000_000 * 1.5)
    assert mobilisation.potential(10000, 15000, 1.0, 0.05) == 0.0  # never negative
    assert mobilisation.potential(1_015_000, 15000, 1.5, 0.0) == 0.0


def georgia_at(hour: int, overrides: dict | None = None, **switches: bool) -> EscalationModel:
    overrides = {**{f"mechanisms.{k}": v for k, v in switches.items()}, **(overrides or {})}
    scenario = with_overrides(sim.load_scenario(GEORGIA), overrides)
    model = EscalationModel(scenario, 0, collect=False)
    while model.hour < hour:
        model.step()
    return model


def test_a_state_weighs_the_whole_side_it_fights_not_the_client_alone():
    """Against Abkhazia, Georgia counts Russia and South Ossetia fighting beside it."""
    m = georgia_at(6, escalation_potential=False)
    geo, abk = m.states["GEO"], m.states["ABK"]
    alone = geo.beliefs["ABK"].share(geo.strength)
    assert alone > 0.8  # Abkhazia alone is a fraction of Georgia
    assert geo.balance(abk) < alone - 0.2
    m_off = georgia_at(6, escalation_potential=False, coalition_balance=False)
    geo_off = m_off.states["GEO"]
    alone_off = geo_off.beliefs["ABK"].share(geo_off.strength)
    assert geo_off.balance(m_off.states["ABK"]) == pytest.approx(alone_off)


def test_a_great_powers_army_beyond_the_theatre_weighs_once_the_war_is_one_of_ground_offensives():
    on, off = georgia_at(6), georgia_at(6, escalation_potential=False)
    assert max(on.states["RUS"].rung, on.states["GEO"].rung) >= 5
    assert on.states["GEO"].balance(on.states["RUS"]) < 0.5 * off.states["GEO"].balance(off.states["RUS"])
    # a war of fire stays local: below the ground offensive nothing beyond the theatre counts
    scenario = sim.load_scenario(ROOT / "scenarios/crises/india-pakistan-2025-05.toml")
    for potential in (True, False):
        m = EscalationModel(with_overrides(scenario, {"mechanisms.escalation_potential": potential}), 0)
        m.step()
        assert m.states["IND"].rung < 5
        ind, pak = m.states["IND"], m.states["PAK"]
        assert ind.balance(pak) == pytest.approx(ind.beliefs["PAK"].share(ind.strength))


def georgia_runs(aim_revision: bool, runs: int = 8) -> list[EscalationModel]:
    scenario = with_overrides(sim.load_scenario(GEORGIA), {"mechanisms.aim_revision": aim_revision})
    return [EscalationModel(scenario, seed, collect=False).run() for seed in range(runs)]


def revised(model: EscalationModel) -> bool:
    log = model.log.to_frame()
    return bool(((log.actor == "Georgia") & log.action.str.contains("gives up its offensive aims")).any())


def test_georgia_driven_back_by_a_stronger_side_gives_up_its_offensive_and_stops_sooner():
    """With the revision Georgia, driven back by Russia's side, fights only to defend: it stops
    within the ten days far more often and loses fewer soldiers; without it, it fights on for
    Tskhinvali to the horizon in most runs."""
    on, off = georgia_runs(True), georgia_runs(False)
    assert sum(revised(m) for m in on) >= 6 and not any(revised(m) for m in off)
    assert all(m.states["GEO"].aim == ("defensive" if revised(m) else "territorial") for m in on)
    deaths = lambda runs: np.median([m.states["GEO"].military_deaths for m in runs])  # noqa: E731
    assert deaths(on) < 0.8 * deaths(off)
    ended = lambda runs: np.median(  # noqa: E731
        np.nan_to_num([outcomes(m)["ceasefire_hour"] for m in runs], nan=240.0)  # none: the horizon
    )
    assert ended(on) < ended(off)


def test_a_coercer_that_holds_the_upper_hand_keeps_its_aims():
    """Azerbaijan in Sept 2022 is never driven to revise: the baseline is the same run for run."""
    scenario = sim.load_scenario(ROOT / "scenarios/sept2022.toml")
    off = with_overrides(scenario, {"mechanisms.aim_revision": False})
    for seed in range(4):
        assert outcomes(EscalationModel(scenario, seed).run()) == outcomes(EscalationModel(off, seed).run())


def test_the_revision_needs_lost_ground_a_weaker_side_and_is_not_undone():
    m = georgia_at(6)
    geo, rus = m.states["GEO"], m.states["RUS"]
    assert rus.rung >= 5 and m.agreement(geo, rus) is None and geo.balance(rus) < 0.5
    geo.aim, geo.sectors_lost = "territorial", 0
    geo.revise_aims()
    assert geo.aim == "territorial"  # not driven back: it keeps its aims
    geo.sectors_lost = 1
    geo.revise_aims()
    assert geo.aim == "defensive"
    geo.revise_aims()
    assert geo.aim == "defensive"  # once revised, stays so
    g = georgia_at(6, {"model.aim_revision_share": 0.0}).states["GEO"]  # nobody holds less than nothing
    g.aim, g.sectors_lost = "territorial", 1
    g.revise_aims()
    assert g.aim == "territorial"


def test_a_state_that_loses_a_sector_counts_it():
    for model in georgia_runs(True, runs=3):
        geo = model.states["GEO"]
        assert (outcomes(model)["territory_lost_km2.GEO"] > 0) == (geo.sectors_lost > 0)
        assert model.states["RUS"].sectors_lost == 0  # it lost nothing


@pytest.mark.parametrize("crisis", ["india-pakistan-2025-05.toml", "thailand-cambodia-2025-07.toml"])
def test_wars_of_fire_without_patrons_are_untouched_run_for_run(crisis):
    """No patron, no co-belligerent, never a ground offensive: the three switches change nothing."""
    scenario = sim.load_scenario(ROOT / "scenarios/crises" / crisis)
    off = with_overrides(
        scenario,
        {f"mechanisms.{k}": False for k in ("coalition_balance", "escalation_potential", "aim_revision")},
    )
    for seed in range(3):
        assert outcomes(EscalationModel(scenario, seed).run()) == outcomes(EscalationModel(off, seed).run())


def test_a_state_that_joins_the_war_changes_the_sides_within_the_hour():
    """Sides are kept for the hour, but a patron entering the war redraws them at once."""
    m = EscalationModel(sim.load_scenario(GEORGIA), 0, collect=False)
    rus, geo, sos = m.states["RUS"], m.states["GEO"], m.states["SOS"]
    assert [s.id for s in rus.side()] == ["RUS"]  # not at war: alone
    m.join_war(rus, geo, sos)
    assert [s.id for s in rus.side()] == ["RUS", "SOS", "ABK"]


# --- a punitive aim: met by the strikes, not by the adversary yielding ------------------------------
INDIA_PAKISTAN = ROOT / "scenarios/crises/india-pakistan-2025-05.toml"


def punitive(targets: int, seed: int = 0, overrides: dict | None = None) -> EscalationModel:
    """India–Pakistan 2025 with India's strikes written as a punitive aim of ``targets`` targets."""
    aim = {"states.IND.war_aim": "punitive", "states.IND.targets": targets, "states.IND.demands": []}
    scenario = with_overrides(sim.load_scenario(INDIA_PAKISTAN), aim | (overrides or {}))
    return EscalationModel(scenario, seed, collect=False)


def test_a_punitive_aim_is_worth_the_deep_strike_rung_until_its_targets_are_struck():
    m = punitive(4)
    cols, deep = m.columns, Rung.DEEP_STRIKES
    s = dataclasses.replace(m.states["IND"].situation(m.states["PAK"]), opponent_rung=3, answering=False)
    assert s.aim == "punitive" and s.unmet == 1.0
    strike = s.stake * cols.leverage[deep]
    assert decision.gains(s, cols) == pytest.approx([0.0] * deep + [strike] * (len(RUNGS) - deep))
    half = decision.gains(dataclasses.replace(s, unmet=0.5), cols)
    assert half[deep] == pytest.approx(strike / 2)
    done = dataclasses.replace(s, unmet=0.0)
    assert decision.gains(done, cols) == [0.0] * len(RUNGS)  # the answer to its strikes: nothing to gain
    # fire the adversary opened, or an escalation beyond a strike exchange, it meets as a defender
    for attacked in (dataclasses.replace(done, answering=True), dataclasses.replace(done, opponent_rung=5)):
        defender = dataclasses.replace(attacked, aim="defensive")
        assert decision.gains(attacked, cols) == pytest.approx(decision.gains(defender, cols))
    answering = dataclasses.replace(s, answering=True)
    defence = decision.gains(dataclasses.replace(answering, aim="defensive"), cols)
    assert decision.gains(answering, cols) == pytest.approx(
        [d + strike * (r >= deep) for r, d in enumerate(defence)]
    )


def test_strikes_that_get_through_meet_a_punitive_aim_and_lift_its_commitment():
    m = punitive(3)
    ind, pak = m.states["IND"], m.states["PAK"]
    own = m._intercepted
    m._intercepted = lambda target, launched: launched if target is pak else own(target, launched)
    for _ in range(3):  # Pakistan's air defences stop all of India's opening strikes ...
        m.step()
    assert m.deep_strikes["PAK"] > 0 and ind.struck.get("PAK", 0) == 0 and ind.unmet(pak) == 1.0
    landed: list[int] = []

    def half(target, launched: int) -> int:  # ... then half of each salvo
        if target is not pak:
            return own(target, launched)
        landed.append(launched - launched // 2)
        return launched // 2

    m._intercepted = half
    while ind.struck.get("PAK", 0) < 3:
        assert ind.commitment > 0.0 and ind.unmet(pak) == pytest.approx(1 - ind.struck.get("PAK", 0) / 3)
        m.step()
    assert ind.unmet(pak) == 0.0 and ind.commitment == 0.0
    assert ind.struck["PAK"] == sum(landed) < m.deep_strikes["PAK"]  # only those that got through
    assert [r.actor for r in m.log.rows if r.action == "declares its strikes complete"] == [ind.name]
    assert ind.situation(pak).unmet == 0.0  # within the hour: the memo sees the strikes
    stranger = SimpleNamespace(id="XYZ", conceded=[], refused=set())
    assert ind.unmet(stranger) == 0.0  # a state it meets later it fights as a defender


def test_the_more_targets_the_longer_a_punitive_striker_strikes():
    def striking_hours(targets: int) -> float:
        hours = []
        for seed in range(8):
            m = punitive(targets, seed)
            n = 0
            while m.running and m.hour < 96:
                m.step()
                n += m.states["IND"].rung >= 4
            hours.append(n)
        return float(np.mean(hours))

    few, many = striking_hours(2), striking_hours(60)
    assert few < 0.6 * many, (few, many)
