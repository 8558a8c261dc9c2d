"""The event log of one run as a readable timeline in scenario dates.

01 Jan 06:00  Aland → Bland: strikes deep inside Bland (Btown) — 2 strikes
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from sim.scenario.schema import Scenario


def when(scenario: Scenario, hour: int) -> str:
    return (scenario.start + dt.timedelta(hours=int(hour))).strftime("%d %b %H:%M")


def timeline(scenario: Scenario, events: pd.DataFrame, outcomes: dict | None = None) -> str:
    lines = [f"{scenario.title}", f"hour 0 = {scenario.start:%d %b %Y %H:%M (UTC%z)}", ""]
    for row in events.itertuples(index=False):
        reason = f" — {row.reason}" if row.reason else ""
        lines.append(f"{when(scenario, row.hour)}  {row.actor} → {row.target}: {row.action}{reason}")
    if outcomes is not None:
        lines += ["", "Outcome:"]
        lines += [f"  {k}: {v}" for k, v in outcomes.items() if not isinstance(v, (int, float)) or v]
    return "\n".join(lines)
