"""War as a bargaining process: when a ceasefire is acceptable, and when to concede.

Each party compares the value of stopping, ``C_i = EU_i(0)``, with the value of fighting on,
``F_i = max_{r ≥ 2} EU_i(r)`` (``sim.model.decision``). A mediator can shift value between the parties
(terms, guarantees) and, if manipulative, add inducements ``b`` to both. A ceasefire both accept
exists iff the **bargaining range** is non-empty (Fearon 1995):

    (F_i − C_i) + (F_j − C_j) ≤ 2b

Optimism about relative strength inflates both F's and keeps the range closed; fighting reveals
strength (``sim.model.beliefs``), the F's fall towards the truth, and the range opens. A formulative
mediator proposes the midpoint transfer, capped by what its leverage can guarantee (a plain
ceasefire in place when the range is closed); a party accepts if its value under the proposal beats
fighting on, and if it accepts the mediator at all.

A target concedes a demand when the losses it has suffered, weighed by its casualty sensitivity and
war weariness, exceed the concession's domestic cost (what the public will bear before a leader can
sell a concession); never if it is a red line.
"""

from __future__ import annotations


def surplus_needed(fight_i: float, stop_i: float) -> float:
    """How much better than stopping fighting on looks to one party (negative: prefers to stop)."""
    return fight_i - stop_i


def bargaining_range_open(gap_i: float, gap_j: float, inducement: float = 0.0) -> bool:
    return gap_i + gap_j <= 2.0 * inducement


def proposed_transfer(gap_i: float, gap_j: float, inducement: float, cap: float) -> float:
    """Terms a formulative mediator puts forward, as a transfer of value to i (from j).

    With an open range, its midpoint — i gets its gap plus half the slack — but no more than the
    mediator can guarantee (``cap``, its leverage): terms nobody can enforce are worth nothing.
    With a closed range it offers a plain ceasefire in place (no transfer).
    """
    if not bargaining_range_open(gap_i, gap_j, inducement):
        return 0.0
    slack = 2.0 * inducement - (gap_i + gap_j)
    return max(-cap, min(cap, gap_i - inducement + slack / 2.0))


def accepts(gap: float, transfer: float, inducement: float) -> bool:
    """A party accepts when what the deal gives it covers what fighting on would."""
    return transfer + inducement >= gap


def concedes(cost_of_fighting: float, concession_cost: float) -> bool:
    return cost_of_fighting > concession_cost
