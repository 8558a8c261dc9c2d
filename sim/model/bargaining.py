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
range is closed); a party accepts if its value under the proposal beats fighting on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


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


def cheapest_offer(
    options: Sequence[tuple[str, float]],
    own_gap: float,
    responder_gap: Callable[[tuple[str, ...]], float],
) -> tuple[str, ...] | None:
    """The cheapest prefix of ``options`` (concessions sorted by domestic cost) that beats fighting
    on for the proposer and that the proposer expects the responder to accept; None if none does."""
    chosen: tuple[str, ...] = ()
    cost = 0.0
    for k in range(len(options) + 1):
        if k:
            name, c = options[k - 1]
            chosen, cost = (*chosen, name), cost + c
        if own_gap + cost > 0.0:
            return None  # conceding more only costs more
        if responder_gap(chosen) <= 0.0:
            return chosen
    return None
