"""War as a bargaining process: reservation values, offers, concessions, acceptance.

Each party ``i`` values fighting on against one adversary at ``F_i = max_{r ≥ 2} EU_i(r)`` and a
ceasefire at ``C_i = EU_i(0 | the other at 0)`` (hourly flows from ``sim.model.decision``; ``C_i``
carries the audience cost of backing down from a public commitment, of which an agreement through
a mediator lifts a share, its *cover*). Over the settlement horizon ``H`` its **gap** is

    g_i = H · (F_i − C_i)

the least it must be given to accept a plain ceasefire (negative: it prefers to stop). ``F_i``
holds its believed share of the stake from fighting on (its belief about the balance of strength,
``sim.model.beliefs``) and the expected cost of the fighting still to come (losses × casualty
sensitivity growing with war weariness, pressure, expected intervention). A ceasefire both accept
exists iff the **bargaining range** is non-empty (Fearon 1995; Powell 2004):

    g_i + g_j ≤ 2·b                       (b: a manipulative mediator's inducement)

Mutual optimism inflates both F's and keeps it closed; the fighting reveals strength and raises
costs, and the range opens (Filson & Werner 2002; Slantchev 2003; Smith & Stam 2004).

**Offers between belligerents.** Every ``offer_interval_hours`` each belligerent puts to each
adversary the cheapest set ``D`` of the concessions that adversary demands (never a red line;
``D`` may be empty: a plain ceasefire) such that (a) the deal beats fighting on for itself,
``g_i + k(D) ≤ 0`` with ``k(D)`` the one-off domestic cost of conceding ``D``, and (b) by its own
beliefs the responder would accept (the responder's gap estimated with the proposer's belief about
the balance and the responder's mean resolve). Concessions are public signals: made when offered.
The responder accepts when its own gap, with ``D`` conceded, is ≤ 0.

**Mediated proposals.** A formulative mediator proposes the midpoint transfer of an open range,
capped by what its leverage can guarantee over the horizon (a plain ceasefire in place when the
range is closed); a party accepts if its value under the proposal beats fighting on. Where no
such proposal would be accepted by both (the range is closed, or wider than the mediator can
guarantee) it *formulates* terms (Touval & Zartman 1985; Beardsley et al. 2006: formulation is what
sets such mediators apart): the cheapest set of one party's concessions to the other's demands with
which both would accept — the conceder's gap rises by their domestic cost ``k(D)``, the demander's
falls with its demands met — and proposes the ceasefire on those terms; the concessions are made
when the agreement is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence


def gap(fight: float, stop: float, horizon: float) -> float:
    """How much better than stopping fighting on looks over the horizon (negative: prefers to stop)."""
    return horizon * (fight - stop)


def bargaining_range_open(gap_i: float, gap_j: float, inducement: float = 0.0) -> bool:
    return gap_i + gap_j <= 2.0 * inducement


def proposed_transfer(gap_i: float, gap_j: float, inducement: float, cap: float) -> float:
    """Terms a formulative mediator puts forward, as a transfer of value to i (from j).

    With an open range, its midpoint — i gets its gap plus half the slack — but no more than the
    mediator can guarantee (``cap``): terms nobody can enforce are worth nothing. With a closed
    range it offers a plain ceasefire in place (no transfer).
    """
    if not bargaining_range_open(gap_i, gap_j, inducement):
        return 0.0
    slack = 2.0 * inducement - (gap_i + gap_j)
    return max(-cap, min(cap, gap_i - inducement + slack / 2.0))


def accepts(gap_: float, transfer: float, inducement: float) -> bool:
    """A party accepts when what the deal gives it covers what fighting on would."""
    return transfer + inducement >= gap_


def prefixes(options: Sequence[tuple[str, float]]) -> Iterator[tuple[tuple[str, ...], float]]:
    """Each prefix of ``options`` (concessions sorted by domestic cost) with its total cost, from
    the empty one: conceding the cheapest first is the cheapest way to concede that many."""
    chosen: tuple[str, ...] = ()
    cost = 0.0
    yield chosen, cost
    for name, c in options:
        chosen, cost = (*chosen, name), cost + c
        yield chosen, cost


def cheapest_offer(
    options: Sequence[tuple[str, float]],
    own_gap: float,
    responder_gap: Callable[[tuple[str, ...]], float],
) -> tuple[str, ...] | None:
    """The cheapest prefix of ``options`` that beats fighting on for the proposer and that the
    proposer expects the responder to accept; None if none does."""
    for chosen, cost in prefixes(options):
        if own_gap + cost > 0.0:
            return None  # conceding more only costs more
        if responder_gap(chosen) <= 0.0:
            return chosen
    return None


def workable(gap_i: float, gap_j: float, inducement: float, cap: float) -> bool:
    """Both parties would take the terms a mediator able to guarantee ``cap`` puts forward."""
    transfer = proposed_transfer(gap_i, gap_j, inducement, cap)
    return accepts(gap_i, transfer, inducement) and accepts(gap_j, -transfer, inducement)


def formulate(
    options: Sequence[tuple[str, float]],
    conceder_gap: float,
    demander_gap: Callable[[tuple[str, ...]], float],
    inducement: float,
    cap: float,
) -> tuple[tuple[str, ...], float, float] | None:
    """The cheapest non-empty prefix of the conceder's ``options`` with which a proposal is
    ``workable``, as (terms, conceder's gap with their cost, demander's gap with them met); None if
    none is."""
    for chosen, cost in prefixes(options):
        if not chosen:
            continue
        gaps = (conceder_gap + cost, demander_gap(chosen))
        if workable(*gaps, inducement, cap):
            return chosen, *gaps
    return None
