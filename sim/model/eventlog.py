"""The event log: one row per action, coded like event data.

Rows carry the CAMEO root code, Goldstein weight and MID hostility level of the rung the action
belongs to, so the log can be compared with coded event data and drives the narrative.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from sim.model.ladder import ACTS, describe, info


@dataclass(slots=True, frozen=True)
class LogRow:
    hour: int
    actor: str
    target: str
    action: str
    rung: int | None  # None for diplomatic acts
    cameo: str
    goldstein: float
    mid_level: int
    reason: str


class EventLog:
    def __init__(self) -> None:
        self.rows: list[LogRow] = []

    def rung(
        self, hour: int, actor: str, target: str, rung: int, reason: str, action: str | None = None
    ) -> None:
        """An act of fire (or its end) coded by its rung."""
        r = info(rung)
        self.rows.append(
            LogRow(
                hour,
                actor,
                target,
                action or describe(rung, target),
                rung,
                r.cameo,
                r.goldstein,
                r.mid_level,
                reason,
            )
        )

    def act(
        self, hour: int, actor: str, target: str, act: str, reason: str, action: str | None = None
    ) -> None:
        """A diplomatic act coded by ``sim.model.ladder.ACTS``."""
        a = ACTS[act]
        self.rows.append(
            LogRow(
                hour,
                actor,
                target,
                action or a.label,
                None,
                a.cameo,
                a.goldstein,
                a.mid_level,
                reason,
            )
        )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(r) for r in self.rows], columns=list(LogRow.__slots__))
