"""Unit tests of each submodel's mathematics, one block per module."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import solve_ivp

import sim
from sim.experiments.runner import run_seed
from sim.model import bargaining, beliefs, ceasefire, combat, decision, harm, parties, territory
from sim.model.agents.alliance import RESPONSES, response_level
from sim.model.agents.state import draw_resolve
from sim.model.escalation import EscalationModel
from sim.model.ladder import ACTS, LADDER, N_RUNGS, Rung, describe
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Alliance, Ladder

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "sept2022.toml"

COLS = decision.Columns(
    *(
        tuple(getattr(Ladder(), k))
        for k in ("leverage", "condemnation", "fire_rate", "exposure", "strike_rate")
    ),
    0.5,
)
REQUIRED = Alliance.model_fields["required_capacity"].default


# --- combat: Lanchester laws ------------------------------------------------------------------
def _integrate(alpha, beta, a_area, d_area, a0=1000.0, d0=800.0, t=5.0):
    def rhs(_, y):
        to_a, to_d = combat.lanchester_rates(y[0], y[1], alpha, beta, a_area, d_area)
        return [-to_a, -to_d]

    sol = solve_ivp(rhs, (0, t), [a0, d0], rtol=1e-11, atol=1e-9, dense_output=True)
    return sol.y


def test_square_law_conserves_its_invariant():
    a, d = _integrate(alpha=0.02, beta=0.03, a_area=False, d_area=False)
    inv = combat.square_law_invariant(a, d, 0.02, 0.03)
    assert d[-1] < 0.9 * d[0]  # real attrition happened
    np.testing.assert_allclose(inv, inv[0], rtol=1e-7)


def test_linear_law_conserves_its_invariant():
    a, d = _integrate(alpha=5e-5, beta=3e-5, a_area=True, d_area=True)
    inv = combat.linear_law_invariant(a, d, 5e-5, 3e-5)
    assert d[-1] < 0.9 * d[0]
    np.testing.assert_allclose(inv, inv[0], rtol=1e-7)


def test_mixed_law_conserves_neither():
    a, d = _integrate(alpha=0.02, beta=3e-5, a_area=False, d_area=True)
    sq = combat.square_law_invariant(a, d, 0.02, 3e-5)
    lin = combat.linear_law_invariant(a, d, 0.02, 3e-5)
    assert abs(sq[-1] - sq[0]) > 1e-3 * abs(sq[0])
    assert abs(lin[-1] - lin[0]) > 1e-3 * abs(lin[0])


def test_casualty_draws_are_whole_bounded_and_unbiased():
    rng = np.random.default_rng(0)
    draws = [combat.draw_casualties(rng, 50.0, 5.0) for _ in range(4000)]
    assert min(draws) >= 0 and max(draws) <= 50
    assert abs(np.mean(draws) - 5.0) < 0.2
    assert combat.draw_casualties(rng, 10.0, 1e6) == 10  # never more than the force
    assert combat.draw_casualties(rng, 0.0, 3.0) == 0


def test_defensibility_blunts_fire():
    open_ground = combat.effectiveness(1e-4, 1.0, 2.0, 0.0, 0.5)
    fortress = combat.effectiveness(1e-4, 1.0, 2.0, 1.0, 0.5)
    assert fortress == pytest.approx(open_ground / 2)


# --- territory ----------------------------------------------------------------------------------
def test_transfer_conserves_area():
    control = {"A": 10.0, "B": 0.0}
    assert territory.transfer(control, "A", "B", 4.0) == 4.0
    assert territory.transfer(control, "A", "B", 100.0) == 6.0
    assert control == {"A": 0.0, "B": 10.0}


# --- civilian harm --------------------------------------------------------------------------------
def test_civilian_toll_bounds():
    rng = np.random.default_rng(2)
    assert harm.civilian_toll(rng, 1000, 0.0, 1e-3, 0.1) == (0, 0)
    for _ in range(500):
        deaths, displaced = harm.civilian_toll(rng, 50, 5.0, 0.05, 2.0)
        assert deaths >= 0 and displaced >= 0 and deaths + displaced <= 50
    mean_displaced = np.mean([harm.civilian_toll(rng, 10_000, 1.0, 0.0, 0.01)[1] for _ in range(300)])
    assert mean_displaced == pytest.approx(10_000 * (1 - math.exp(-0.01)), rel=0.05)


# --- beliefs --------------------------------------------------------------------------------------
def test_bayesian_update_shrinks_and_moves_toward_the_signal():
    mean, var = beliefs.normal_update(0.0, 1.0, 2.0, 1.0)
    assert (mean, var) == pytest.approx((1.0, 0.5))


def test_a_signal_lost_in_infinite_noise_leaves_the_belief_unchanged():
    # a shuttle of vanishing leverage: noise²/precision overflows, the signal itself is ±inf
    assert beliefs.normal_update(0.3, 0.25, math.inf, math.inf) == (0.3, 0.25)


def test_fighting_reveals_the_truth():
    rng = np.random.default_rng(3)
    truth = 5000.0
    belief = beliefs.StrengthBelief.prior(truth, bias=0.4, sd=0.8)
    assert belief.expected < 0.6 * truth  # optimistic at first
    for _ in range(400):
        belief.observe(math.log(truth) + rng.normal(0, 1.0), 1.0)
    assert belief.expected == pytest.approx(truth, rel=0.15)
    assert belief.var < 0.01


def test_share_falls_as_the_adversary_looks_stronger():
    weak = beliefs.StrengthBelief(math.log(100.0), 0.01)
    strong = beliefs.StrengthBelief(math.log(1000.0), 0.01)
    assert 0 < strong.share(500.0) < weak.share(500.0) < 1


# --- decision: logit over expected utility --------------------------------------------------------
def _situation(**kw):
    base = dict(
        aim="coercive",
        stake=2.0,
        unmet=1.0,
        yields=1.0,
        share=0.7,
        opponent_rung=3,
        loss_weight=0.1,
        deaths_per_fire=2.0,
        pressure=0.5,
        intervention=0.3,
        domestic=0.0,
        audience=0.3,
        commitment=0.0,
        territory_gain=0.0,
        current=3,
        switching=0.05,
    )
    return decision.Situation(**{**base, **kw})


def test_utilities_respond_to_each_term():
    u = np.array(decision.utilities(_situation(), COLS))
    assert u.shape == (N_RUNGS,)
    calm = np.array(decision.utilities(_situation(pressure=0.0), COLS))
    assert (calm >= u - 1e-12).all() and calm[6] > u[6]
    bold = np.array(decision.utilities(_situation(unmet=0.0), COLS))
    assert np.argmax(bold) <= np.argmax(u)  # nothing left to coerce for: climb no higher
    committed = decision.utilities(_situation(commitment=5.0), COLS)
    assert committed[0] < u[0] and committed[5] == pytest.approx(u[5])


def test_defender_prefers_a_mutual_ceasefire_to_being_attacked():
    s = _situation(aim="defensive", opponent_rung=5)
    attacked = decision.utilities(s, COLS)
    quiet = decision.utilities(_situation(aim="defensive", opponent_rung=0), COLS)
    assert quiet[0] > max(attacked)


def test_answering_in_kind_is_condemned_less_and_brings_in_fewer_of_the_adversarys_allies():
    """A defence pact deters the challenger, not the target's answer: a state whose fire answers
    fire the adversary opened bears (1 − δ) of the condemnation and of the intervention it fears
    up to the adversary's rung; the state that opened it bears them in full."""

    def cost(term, answering, opponent_rung=4):
        base = dict(opponent_rung=opponent_rung, answering=answering, pressure=0.0, intervention=0.0)
        paid = decision.utilities(_situation(**{**base, term: 2.0}), COLS)
        return np.subtract(decision.utilities(_situation(**base), COLS), paid)

    delta = COLS.self_defence
    for term, column in (("pressure", COLS.condemnation), ("intervention", COLS.exposure)):
        answer, opener = cost(term, True), cost(term, False)
        assert answer[4] == pytest.approx(2.0 * (1 - delta) * column[4])
        assert answer[2] == pytest.approx(2.0 * (1 - delta) * column[2])
        assert opener[4] == pytest.approx(2.0 * column[4])
        # climbing above the adversary is paid in full for the rungs beyond its own
        assert answer[6] == pytest.approx(2.0 * (column[6] - delta * column[4]))
        # against an adversary that holds its fire there is nothing to answer
        assert cost(term, True, opponent_rung=0)[4] == pytest.approx(2.0 * column[4])


def test_the_state_that_opens_fire_is_recorded_until_an_agreement():
    """Who opened the fire between two states decides which of them answers it: the one at a
    fighting rung first; an agreement clears the record, and a breakdown makes the breaker the
    opener of the fire that follows."""
    model = EscalationModel(BASELINE, rng=3)
    aze, arm = model.states["AZE"], model.states["ARM"]
    model.step()  # Azerbaijan's opening strikes, and Armenia's answer within the hour
    assert model.opener[frozenset(("AZE", "ARM"))] == "AZE"
    assert model.answering(arm, aze) and not model.answering(aze, arm)
    assert arm.situation(aze).answering and not aze.situation(arm).answering
    model.agree(None, aze, arm, "offer", ())
    assert frozenset(("AZE", "ARM")) not in model.opener
    model.break_agreement(model.agreement(aze, arm), arm)
    assert model.answering(aze, arm) and not model.answering(arm, aze)


def test_the_fear_of_allies_a_state_is_said_to_step_down_for_is_the_fear_it_weighs(monkeypatch):
    """The narrative's reasons follow the utilities: a state answering fire in kind is not said to
    step down for fear of the adversary's allies when self-defence waives most of that fear."""
    model = EscalationModel(BASELINE, rng=3)
    model.step()  # Armenia answers Azerbaijan's opening fire
    arm, aze = model.states["ARM"], model.states["AZE"]
    weighed = dataclasses.replace(arm.situation(aze), intervention=0.08)  # (1 − δ)·0.08 below 0.05
    for answering, said in ((True, False), (False, True)):
        situation = dataclasses.replace(weighed, answering=answering)
        monkeypatch.setattr(arm, "situation", lambda _adv, *_a, s=situation: s)
        assert ("fear of allied intervention" in arm._why(Rung.CEASEFIRE)) is said


def test_logit_choice_respects_allowed_rungs_and_precision():
    rng = np.random.default_rng(4)
    u = [0.0, 1.0, 2.0, 3.0, 0.0, 0.0, 0.0]
    allowed = decision.reachable(current=1, max_change=1)
    picks = [decision.logit_choice(rng, u, 1.0, allowed) for _ in range(3000)]
    assert set(picks) <= {0, 1, 2}
    assert [decision.logit_choice(rng, u, 500.0, allowed) for _ in range(50)] == [2] * 50
    flat = (
        np.bincount([decision.logit_choice(rng, u, 0.0, allowed) for _ in range(6000)], minlength=N_RUNGS)[:3]
        / 6000
    )
    np.testing.assert_allclose(flat, [1 / 3] * 3, atol=0.03)
    freq = np.bincount(picks, minlength=N_RUNGS)[:3] / len(picks)
    np.testing.assert_allclose(freq, np.exp([0, 1, 2]) / np.exp([0, 1, 2]).sum(), atol=0.03)


def test_reachable_caps_moves_and_ceiling():
    assert list(decision.reachable(3, 2)) == [1, 2, 3, 4, 5]
    assert list(decision.reachable(1, 2, ceiling=1)) == [0, 1]
    assert list(decision.reachable(6, 1, ceiling=4)) == [4]


# --- bargaining -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("gap_i", "gap_j", "inducement", "open_"),
    [(0.3, -0.5, 0.0, True), (0.3, -0.2, 0.0, False), (0.3, -0.2, 0.1, True)],
)
def test_bargaining_range(gap_i, gap_j, inducement, open_):
    assert bargaining.bargaining_range_open(gap_i, gap_j, inducement) is open_
    t = bargaining.proposed_transfer(gap_i, gap_j, inducement, cap=10.0)
    both = bargaining.accepts(gap_i, t, inducement) and bargaining.accepts(gap_j, -t, inducement)
    assert both is open_


def test_transfers_are_capped_by_leverage():
    t = bargaining.proposed_transfer(2.0, -5.0, 0.0, cap=0.4)
    assert t == 0.4 and not bargaining.accepts(2.0, t, 0.0)


def test_gap_scales_hourly_values_by_the_horizon():
    assert bargaining.gap(1.0, 0.5, 48.0) == 24.0 and bargaining.gap(0.0, 0.5, 10.0) == -5.0


def test_cheapest_offer_concedes_only_what_it_must_and_can_afford():
    options = [("a", 1.0), ("b", 5.0)]

    def responder(terms):  # the responder stops once `b` is conceded
        return -1.0 if "b" in terms else 2.0

    assert bargaining.cheapest_offer(options, -10.0, responder) == ("a", "b")
    assert bargaining.cheapest_offer(options, -3.0, responder) is None  # b costs more than stopping is worth
    assert bargaining.cheapest_offer(options, -10.0, lambda t: -1.0) == ()  # a plain ceasefire suffices
    assert bargaining.cheapest_offer([], 1.0, lambda t: -1.0) is None  # it would rather fight on


def test_a_workable_proposal_needs_an_open_range_within_the_mediators_guarantee():
    assert bargaining.workable(1.0, -3.0, 0.0, cap=5.0)  # the midpoint gives i 2.0 ≥ 1.0
    assert not bargaining.workable(6.0, -8.0, 0.0, cap=5.0)  # open, but i needs 6 and 5 is all it can hold
    assert not bargaining.workable(3.0, 1.0, 0.0, cap=50.0)  # closed


def test_formulation_picks_the_cheapest_terms_both_would_take():
    options = [("a", 1.0), ("b", 2.0)]

    def demander(terms):  # its gap falls by 4 per demand met
        return 6.0 - 4.0 * len(terms)

    # conceding `a` (cost 1): gaps (-10 + 1, 2) leave slack 7 → both accept
    assert bargaining.formulate(options, -10.0, demander, 0.0, cap=10.0) == (("a",), -9.0, 2.0)
    # with `a` the demander still needs 2 but the mediator can guarantee only 1: concede `b` too
    assert bargaining.formulate(options, -10.0, demander, 0.0, cap=1.0) == (("a", "b"), -7.0, -2.0)
    assert bargaining.formulate(options, -1.0, demander, 0.0, cap=1.0) is None  # too dear for it
    assert bargaining.formulate([], -10.0, demander, 0.0, cap=10.0) is None  # nothing to concede


def test_a_coercer_loses_hope_as_its_adversary_bears_losses_without_yielding():
    assert beliefs.yield_update(0.7, 0.0) == pytest.approx(0.7)
    assert beliefs.yield_update(0.7, 1.0) < 0.7
    assert beliefs.yield_update(0.7, 5.0) < beliefs.yield_update(0.7, 1.0)
    assert beliefs.yield_update(1.0, 3.0) == pytest.approx(1.0) and beliefs.yield_update(0.0, 3.0) == 0.0


def _commitment(arm_forces: float, arm_losses: float) -> EscalationModel:
    """The baseline with Armenia committing ``arm_forces`` and having borne ``arm_losses``."""
    model = EscalationModel(load_scenario(BASELINE, {"states.ARM.forces": arm_forces}), 0)
    model.states["ARM"].military_deaths = arm_losses
    return model


def test_a_bigger_commitment_weighs_each_loss_and_tires_on_a_bigger_scale():
    reference, arm = _commitment(16_000, arm_losses=300.0), _commitment(64_000, arm_losses=300.0)
    below, m = _commitment(5_000, arm_losses=300.0), arm.spec.model
    assert m.reference_forces == 16_000
    assert below.states["ARM"].size == reference.states["ARM"].size == 1.0  # as fitted up to the reference
    assert below.states["ARM"].loss_weight == reference.states["ARM"].loss_weight
    sensitivity = arm.states["ARM"].spec.casualty_sensitivity
    assert arm.states["ARM"].size == 4.0
    assert arm.states["ARM"].loss_weight == pytest.approx(
        sensitivity * (1.0 + 300.0 / (4.0 * m.weariness_deaths)) / (4.0 * m.loss_scale)
    )
    assert reference.states["ARM"].loss_weight == pytest.approx(
        sensitivity * (1.0 + 300.0 / m.weariness_deaths) / m.loss_scale
    )


def test_a_big_armys_losses_say_less_of_its_resolve():
    pi = {}
    for forces in (10_000, 40_000):
        model = _commitment(forces, arm_losses=100.0)
        aze, arm = model.states["AZE"], model.states["ARM"]
        prior = aze.yields["ARM"]
        aze.learn_resolve(arm, 0.01)
        pi[forces] = aze.yields["ARM"]
    assert pi[10_000] == pytest.approx(beliefs.yield_update(prior, 0.01 * 100.0))
    assert pi[40_000] == pytest.approx(beliefs.yield_update(prior, 0.01 * 100.0 / 2.5))
    assert pi[10_000] < pi[40_000] < prior


# --- ceasefire ------------------------------------------------------------------------------------
def test_strength_adds_guarantees_and_the_brokers_part_fades():
    assert ceasefire.strength(0.1, 0.4, 0.3, 0, 72) == pytest.approx(0.8)
    assert ceasefire.strength(0.1, 0.4, 0.3, 72, 72) == pytest.approx(0.65)
    assert ceasefire.strength(0.5, 0.4, 0.9, 0, 72) == 1.0
    assert ceasefire.broker_part(0.5, [1.0, 0.2], 0.0) == pytest.approx(0.1)


def test_hazard_rises_with_the_incentive_to_resume_and_falls_with_strength():
    h = ceasefire.breakdown_hazard
    assert h(0.9, 0.0, 0, 0.1, 0.05) < h(0.1, 0.0, 0, 0.1, 0.05)
    assert h(0.5, 2.0, 0, 0.01, 0.05) > h(0.5, 0.0, 0, 0.01, 0.05)
    assert h(0.5, -3.0, 0, 0.01, 0.05) == h(0.5, 0.0, 0, 0.01, 0.05)  # no pull below 0
    assert h(1.0, 5.0, 0, 0.1, 0.05) == 0.0  # a perfect agreement holds
    # as the broker's part of the strength fades, the same pull breaks the agreement more often
    fresh, faded = (ceasefire.strength(0.1, 0.0, 0.6, t, 72) for t in (0, 216))
    assert h(faded, 1.0, 216, 0.0, 0.05) > h(fresh, 1.0, 0, 0.0, 0.05) > 0.0
    # and nothing breaks a settled agreement that no party wants to break
    assert h(faded, 0.0, 216, 0.02, 0.05, 12.0) < 1e-6


def test_incidents_fade_with_the_ceasefires_age_but_incentives_to_resume_do_not():
    h = ceasefire.breakdown_hazard
    assert h(0.0, 0.0, 0, 0.02, 0.05, 12.0) == pytest.approx(0.02)
    assert h(0.0, 0.0, 12, 0.02, 0.05, 12.0) == pytest.approx(0.01)
    assert h(0.0, 0.0, 120, 0.02, 0.05, 12.0) == pytest.approx(0.02 * 2.0**-10)
    assert h(0.0, 0.0, 120, 0.02, 0.05) == pytest.approx(0.02)  # unset: constant
    assert h(0.0, 2.0, 120, 0.02, 0.05, 12.0) == pytest.approx(0.1, rel=1e-3)


def test_an_unguarded_ceasefire_nobody_wants_to_break_survives_its_first_days():
    """The model's hazard is the fading one of the shared behaviour file: a bilateral ceasefire
    with no incentive to resume outlives ten days in most runs, where a constant hazard of the
    same start breaks it within days in all but a few; once the incidents have passed, nothing
    breaks it."""
    model = EscalationModel(BASELINE.parent / "crises" / "india-pakistan-2025-05.toml", rng=1)
    cf = model.spec.ceasefire
    agreement = ceasefire.Agreement(("IND", "PAK"), "bilateral", "offer", 0, (), 0.0)
    q = model.agreement_strength(agreement, 0)
    hazards = [model._hazard(agreement, 0.0, hour) for hour in range(240)]
    constant = [
        ceasefire.breakdown_hazard(
            model.agreement_strength(agreement, hour),
            0.0,
            hour,
            cf.base_hazard,
            cf.resume_hazard,
        )
        for hour in range(240)
    ]
    assert hazards[0] == constant[0] == pytest.approx(cf.base_hazard * (1.0 - q))
    assert math.exp(-sum(hazards)) > 0.7 and math.exp(-sum(constant)) < 0.1
    assert hazards[216] < 1e-6


# --- third parties --------------------------------------------------------------------------------
def test_invocation_weighs_expected_help_against_the_cost_of_refusal():
    assert parties.invocation_value(0.9, 3.0, 0.5, 0.5) > 0 > parties.invocation_value(0.05, 3.0, 0.5, 0.5)
    assert parties.invocation_value(0.3, 3.0, 0.05, 0.1) < parties.invocation_value(0.3, 3.0, 0.5, 0.1)
    assert parties.logistic(0.0) == 0.5 and parties.logistic(-800) == 0.0 and parties.logistic(800) == 1.0
    assert parties.join_value(3.0, 0.5, 0.8, 0.2, 0.5) > 0 > parties.join_value(3.0, 0.05, 0.8, 0.2, 0.5)


# --- alliances ------------------------------------------------------------------------------------
def test_alliance_response_ladder():
    assert RESPONSES[response_level(False, True, 1.0, "collective_defence", REQUIRED)] == "statement"
    assert RESPONSES[response_level(False, False, 1.0, "collective_defence", REQUIRED)] == "ignore"
    assert RESPONSES[response_level(True, True, 0.2, "collective_defence", REQUIRED)] == "fact_finding"
    assert RESPONSES[response_level(True, True, 1.0, "collective_defence", REQUIRED)] == "military_aid"
    assert RESPONSES[response_level(True, True, 1.0, "consultation", REQUIRED)] == "diplomatic_pressure"
    levels = [response_level(True, True, c, "collective_defence", REQUIRED) for c in np.linspace(0, 1, 21)]
    assert levels == sorted(levels)


# --- ladder and resolve ---------------------------------------------------------------------------
def test_ladder_table_is_complete_and_monotone():
    assert [r.rung for r in LADDER] == list(Rung)
    assert all(r.cameo and r.mid_level in (1, 2, 3, 4, 5) for r in LADDER)
    assert list(COLS.leverage) == sorted(COLS.leverage)
    assert list(COLS.fire_rate[:6]) == sorted(COLS.fire_rate[:6])
    assert all(
        len(getattr(COLS, k)) == N_RUNGS for k in ("leverage", "condemnation", "fire_rate", "exposure")
    )
    assert LADDER[Rung.FULL_WAR].mid_level == 5 and LADDER[Rung.CEASEFIRE].goldstein > 0
    assert describe(Rung.DEEP_STRIKES, "B") == "strikes deep inside B"
    assert all(a.cameo or a.label == "takes no action" for a in ACTS.values())


def test_private_resolve_has_the_prior_mean():
    rng = np.random.default_rng(5)
    draws = [draw_resolve(rng, 1.5, 0.5) for _ in range(20000)]
    assert min(draws) > 0
    assert np.mean(draws) == pytest.approx(1.5, rel=0.02)
    assert np.std(draws) == pytest.approx(0.5, rel=0.05)


# --- ablation: each mechanism moves its outcome in the documented direction ----------------------
# Paired runs of the baseline with one switch off (common random numbers: run i of both uses the
# same seed); a paired t statistic beyond 3 cannot pass by chance (p < 0.003 one-sided).
RUNS = 60


def _ensemble(
    overrides: dict, runs: int = RUNS, scenario: Path = BASELINE, events: bool = False
) -> pd.DataFrame:
    """Outcome rows of ``runs`` seeded runs; with ``events``, also per run the number of
    unilateral declarations, of sectors taken by manoeuvre and of mobilisation orders."""
    spec = load_scenario(scenario, overrides)
    rows = []
    for i in range(runs):
        result = sim.run(spec, run_seed(11, i))
        row = dict(result.outcomes)
        if events:
            action = result.events["action"].astype(str)
            row["declared"] = int(action.str.contains("unilateral ceasefire").sum())
            row["captures"] = int(
                (
                    action.str.startswith("takes ")
                    & result.events["reason"].astype(str).str.startswith("the line crosses")
                ).sum()
            )
            row["mobilised"] = int(action.str.startswith("mobilises ").sum())
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def baseline() -> pd.DataFrame:
    return _ensemble({})


def _paired_t(on: pd.Series, off: pd.Series) -> float:
    diff = off.astype(float).to_numpy() - on.astype(float).to_numpy()
    return float(diff.mean() / (diff.std(ddof=1) / math.sqrt(len(diff))))


@pytest.mark.parametrize(
    "override",
    [
        {"mechanisms.learning": False},
        {"model.signal_noise": 10.0},
        {"mechanisms.mediator_pressure": False},
        {"mechanisms.agreements": False},
    ],
    ids=lambda o: next(iter(o)),
)
def test_switching_a_mechanism_off_makes_fighting_longer(baseline, override):
    off = _ensemble(override)
    assert _paired_t(baseline.fighting_hours, off.fighting_hours) > 3.0


def test_without_the_parties_own_offers_fighting_is_longer():
    """bargaining: the parties' own offers come every four days in the shared fit, so most deals
    are a mediator's and the effect is a few hours at the median (3.5 h on the README's 200 pairs),
    which 60 pairs do not tell from noise: measured on 120."""
    on = _ensemble({}, runs=120)
    off = _ensemble({"mechanisms.bargaining": False}, runs=120)
    assert _paired_t(on.fighting_hours, off.fighting_hours) > 3.0


def test_armies_four_times_the_reference_fight_longer_and_bloodier_than_on_a_fixed_scale():
    big = {"states.AZE.forces": 64_000, "states.ARM.forces": 40_000}
    scaled = _ensemble(big, runs=40)
    fixed = _ensemble({**big, "model.reference_forces": 1e12}, runs=40)  # losses weighed as for 16,000

    def dead(frame: pd.DataFrame) -> float:
        return float((frame["military_deaths.ARM"] + frame["military_deaths.AZE"]).median())

    assert dead(scaled) > 1.5 * dead(fixed)
    assert scaled["fighting_hours"].median() > fixed["fighting_hours"].median()


def test_without_concessions_fighting_is_longer():
    """concessions: measured where the parties make offers often enough for their own concessions to
    matter (offers every 12 h; at the shared fit's 96 h most concessions come on mediators' terms)."""
    often = {"model.offer_interval_hours": 12}
    on = _ensemble(often)
    off = _ensemble({**often, "mechanisms.concessions": False})
    assert _paired_t(on.fighting_hours, off.fighting_hours) > 3.0


def test_without_agreements_fighting_ends_tacitly_or_not_at_all(baseline):
    off = _ensemble({"mechanisms.agreements": False})
    # no agreement of any kind; an unmatched unilateral declaration needs none
    assert set(off.ceasefire_broker) <= {"tacit", "none", "unilateral"} and (off.failed_ceasefires == 0).all()
    assert baseline.ceasefire_broker.isin(["tacit", "none"]).mean() < 0.5


def test_without_breakdown_no_ceasefire_fails(baseline):
    off = _ensemble({"mechanisms.breakdown": False})
    assert (off.failed_ceasefires == 0).all()
    assert _paired_t(off.failed_ceasefires, baseline.failed_ceasefires) > 3.0


def test_without_concessions_none_is_made(baseline):
    off = _ensemble({"mechanisms.concessions": False})
    assert (off["concession.ARM"] == "none").all()
    assert 0.1 < (baseline["concession.ARM"] != "none").mean() < 0.9


def test_without_formulation_mediators_propose_no_terms_and_fewer_concede(baseline):
    """formulation: mediators' terms are how most concessions come on the baseline (the parties'
    own offers come every four days)."""
    off = _ensemble({"mechanisms.formulation": False})
    conceded = baseline["concession.ARM"].ne("none")
    assert _paired_t(on=off["concession.ARM"].ne("none"), off=conceded) > 3.0  # more with it on


@pytest.mark.parametrize("formulation", [True, False])
def test_an_agreements_terms_are_the_concessions_made_on_a_mediators_terms(formulation):
    """A concession on a mediator's terms is made with the agreement and is its terms: none is made
    for a proposal that is refused, and with formulation off no mediated agreement has terms."""
    spec = load_scenario(BASELINE, {"mechanisms.formulation": formulation})
    agreed_terms = 0
    for i in range(20):
        model = EscalationModel(spec, run_seed(5, i), collect=False).run()
        mediated = [a for a in model.history if a.kind == "mediated"]
        conceded = {c for s in model.states.values() for c in s.conceded}
        assert all(set(a.terms) <= conceded for a in mediated)
        log = model.log.to_frame()
        conceding = log.action.str.startswith("signals it could concede")
        on_terms = conceding & log.reason.str.contains("on the terms")
        assert on_terms.sum() == sum(len(a.terms) for a in mediated)
        agreed_terms += on_terms.sum()
    assert bool(agreed_terms > 0) is formulation


def test_a_facilitative_mediator_proposes_no_terms_even_when_a_scheduled_event_has_it_propose():
    spec = load_scenario(
        BASELINE, {"events.russian_ceasefire.actor": "EU", "events.russian_ceasefire.hour": 30}
    )
    for i in range(30):
        model = EscalationModel(spec, run_seed(5, i), collect=False).run()
        assert not any(a.terms for a in model.history if a.broker == "EU")


def test_without_alliances_no_treaty_is_invoked(baseline):
    off = _ensemble({"mechanisms.alliances": False})
    assert (off["alliance_response.CSTO"] == "not_invoked").all()
    assert (baseline["alliance_response.CSTO"] != "not_invoked").mean() > 0.9


def test_without_deep_strikes_none_lands(baseline):
    off = _ensemble({"mechanisms.deep_strikes": False})
    assert (off["deep_strikes.ARM"] == 0).all()
    assert (baseline["deep_strikes.ARM"] > 0).mean() > 0.9


def test_without_unilateral_declarations_none_is_declared():
    """unilateral: with a state free to declare (margin 0), some declare and some fighting ends
    under a declaration; with the switch off, none does."""
    on = _ensemble({"model.unilateral_margin": 0.0}, events=True)
    off = _ensemble({"model.unilateral_margin": 0.0, "mechanisms.unilateral": False}, events=True)
    assert off.declared.sum() == 0 and not off.ceasefire_broker.eq("unilateral").any()
    assert on.declared.sum() >= 5 and on.ceasefire_broker.eq("unilateral").sum() >= 2
    assert _paired_t(off.declared.astype(float), on.declared.astype(float)) > 3.0


GEORGIA = BASELINE.parent / "crises" / "russia-georgia-2008-08.toml"
GROUND_RUNS = 30


def test_without_manoeuvre_no_sector_changes_hands():
    """manoeuvre: where offensives are fast enough to carry the line (the baseline with a faster
    advance), sectors change hands in most runs, and the war is shorter; never with it off."""
    fast = {"combat.advance_km2_per_hour": 3.0}
    # civilians killed in the villages taken feed Armenia's outrage (§7.2) and lengthen the war:
    # that is occupation violence's effect (tests/test_withdrawal.py), not the manoeuvre's
    fast["mechanisms.occupation_violence"] = False
    on = _ensemble(fast, runs=GROUND_RUNS, events=True)
    off = _ensemble({**fast, "mechanisms.manoeuvre": False}, runs=GROUND_RUNS, events=True)
    assert (off.captures == 0).all() and (on.captures > 0).mean() > 0.5
    assert _paired_t(on.fighting_hours, off.fighting_hours) > 3.0


def test_without_mobilisation_reserves_never_arrive_and_ground_is_lost():
    """mobilisation: with reserves to call up (Georgia 2008, 20,000 a side), the state that
    mobilises holds its ground better; with the switch off nobody mobilises."""
    reserves = {"states.GEO.reserves": 20000.0, "states.RUS.reserves": 20000.0}
    reserves["mechanisms.rout"] = False  # a rout hands over Akhalgori's 1,000 km² at once in a few
    # runs of either arm: the paired difference in km² then measures those few runs, not the reserves;
    reserves["mechanisms.withdrawal"] = False  # so does Georgia's withdrawal once Russia intervenes
    on = _ensemble(reserves, runs=GROUND_RUNS, scenario=GEORGIA, events=True)
    off = _ensemble(
        {**reserves, "mechanisms.mobilisation": False}, runs=GROUND_RUNS, scenario=GEORGIA, events=True
    )
    assert (off.mobilised == 0).all() and (on.mobilised > 0).all()
    assert _paired_t(on["territory_lost_km2.GEO"], off["territory_lost_km2.GEO"]) > 3.0


def test_mobilisation_cost_weighs_on_rungs_that_reach_the_trigger():
    free = decision.utilities(_situation(opponent_rung=1), COLS)
    costly = decision.utilities(_situation(opponent_rung=1, mobilisation=0.4, mobilise_rung=4), COLS)
    assert costly[:4] == pytest.approx(free[:4])
    assert costly[4:] == pytest.approx([u - 0.4 for u in free[4:]])
    sunk = decision.utilities(_situation(opponent_rung=5, mobilisation=0.4, mobilise_rung=4), COLS)
    base = decision.utilities(_situation(opponent_rung=5), COLS)
    assert np.argmax(sunk) == np.argmax(base)  # the adversary's rung already forces it: sunk


@pytest.mark.parametrize("learning", [True, False])
def test_the_fighting_narrows_each_belligerents_belief_about_the_other(learning):
    """learning: every belligerent's belief about its adversary's strength ends far tighter than its
    prior, in every run (the battles on its own fronts are evidence); with the switch off it stays
    the prior."""
    from sim.model.escalation import EscalationModel

    scenario = load_scenario(BASELINE, {"mechanisms.learning": learning})
    for i in range(3):
        model = EscalationModel(scenario, rng=run_seed(11, i), collect=False).run()
        for state in model.belligerents:
            for belief in state.beliefs.values():
                prior = state.spec.belief_sd**2
                assert (belief.var < 0.5 * prior) if learning else belief.var == pytest.approx(prior)
