"""The event log of one run as a story in plain words, in scenario dates.

One line per change: a rung climbed or left, a mediator's arrival, a ceasefire offer and how each
party answered it, a concession, an alliance's response. Repeated acts — ground taken hour after
hour, deep strikes — are summed per day and per pair of states. Names, not ids; numbers rounded.
Each line (a ``Fact``) keeps its sources: the scenario event and note it came from (with the
note's source tags such as ``[seed]``), or the mechanism that produced it, and its event-data codes.

    01 Jan 06:00  Aland attacks to seize Bland's territory — along the border with artillery
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from sim.model.ladder import ACTS
from sim.scenario.schema import Scenario

TAG = re.compile(r"\s*\[(\w+)\]")  # a source tag in a scenario note, e.g. [seed]
STRIKES = re.compile(r"^(\d+) strikes?(?:, (\d+) intercepted)?$")  # the reason of one hour's deep strikes
ADVANCE = re.compile(r"^([\d.]+) km² taken this hour$")  # the reason of one hour's advance
PLACES = re.compile(r"^(.*) \((.*)\)$")  # "strikes deep inside X (A, B)"
SNAKE = re.compile(r"`?\b([a-z]+(?:_[a-z0-9]+)+)\b`?")  # a concession id such as recognise_borders

KINDS = (  # what a fact is, for markers on the ladder and the map
    "attack",
    "de-escalation",
    "strikes",
    "advance",
    "event",
    "offer",
    "ceasefire",
    "breakdown",
    "concession",
    "invocation",
    "alliance",
    "mediator",
)


# acts whose log line names what was done (the act's own label is not the action text)
ACT_PREFIXES = (
    ("refuses ", "refuse"),
    ("signals it could concede", "concede"),
    ("blocks any action", "veto"),
    ("rejects ", "reject_mediator"),
)


@dataclass(frozen=True)
class Fact:
    hour: int
    text: str
    kind: str
    sources: tuple[str, ...] = field(default=())


def when(scenario: Scenario, hour: float) -> str:
    return (scenario.start + dt.timedelta(hours=int(hour))).strftime("%d %b %H:%M")


def day_of(scenario: Scenario, hour: float) -> str:
    return (scenario.start + dt.timedelta(hours=int(hour))).strftime("%d %b")


def plain(text: str) -> str:
    """Ids as words (``recognise_borders`` → recognise borders), no source tags, no backticks."""
    text = TAG.sub("", text)
    return SNAKE.sub(lambda m: m.group(1).replace("_", " "), text).replace("`", "").strip()


def names(scenario: Scenario) -> dict[str, str]:
    """Display names of every id a log row can name."""
    out = {sid: s.name for sid, s in scenario.states.items()}
    out |= {mid: m.name for mid, m in scenario.mediators.items()}
    out |= {aid: a.name for aid, a in scenario.alliances.items()}
    return out


def _who(text: str, known: dict[str, str]) -> str:
    """Names for a comma-separated list of ids or names: "Aland and Bland"."""
    parts = [known.get(part, part) for part in text.split(", ")]
    return " and ".join([", ".join(parts[:-1]), parts[-1]]) if len(parts) > 1 else parts[0]


def tags(text: str) -> list[str]:
    return [f"[{t}]" for t in TAG.findall(text)]


def facts(scenario: Scenario, events: pd.DataFrame) -> list[Fact]:
    """The log as facts, in order; repeated strikes and advances summed per day."""
    known = names(scenario)
    notes = {e.note: eid for eid, e in scenario.events.items() if e.note}
    labels = {a.label: key for key, a in ACTS.items()}
    rows = list(events.itertuples(index=False))
    out: list[Fact] = []
    daily: dict[tuple[str, str, str, str], dict] = {}  # (day, what, actor, target) -> running sums
    rung: dict[str, int] = {}  # each actor's last rung, to tell a climb from a step down
    i = 0
    while i < len(rows):
        row = rows[i]
        actor, target = _who(row.actor, known), _who(row.target, known)
        codes = f"CAMEO {row.cameo or '—'}, Goldstein {row.goldstein:+.1f}, MID level {row.mid_level}"
        act = labels.get(row.action)
        if act is None and (row.rung is None or pd.isna(row.rung)):
            act = next((a for prefix, a in ACT_PREFIXES if row.action.startswith(prefix)), None)
        if row.reason in notes:
            eid = notes[row.reason]
            source = f"scenario event `{eid}`: {row.reason}"
        elif act is not None:
            source = f"simulated: {act.replace('_', ' ')}"
        elif STRIKES.match(row.reason):
            source = "simulated: deep strikes"
        elif ADVANCE.match(row.reason):
            source = "simulated: manoeuvre"
        else:
            source = "simulated: rung choice"
        sources = (source, *(f"source tag {t} (see the scenario file)" for t in tags(row.reason)), codes)
        strikes, advance = STRIKES.match(row.reason or ""), ADVANCE.match(row.reason or "")
        if strikes or advance:
            what = "strikes" if strikes else "advance"
            key = (day_of(scenario, row.hour), what, actor, target)
            where = PLACES.match(row.action)
            if where:
                places = where.group(2).split(", ")
            else:  # strikes all intercepted name no place
                places = [] if strikes else row.action.removeprefix("advances near ").split(", ")
            total = daily.get(key)
            if total is None:
                total = daily[key] = {
                    "index": len(out),
                    "hour": row.hour,
                    "n": 0.0,
                    "intercepted": 0,
                    "hours": 0,
                    "places": [],
                }
                out.append(Fact(row.hour, "", what, sources))
            total["n"] += float((strikes or advance).group(1))
            total["intercepted"] += int(strikes.group(2) or 0) if strikes else 0
            total["hours"] += 1
            total["places"] += [p for p in places if p not in total["places"]]
            out[total["index"]] = Fact(total["hour"], _summary(what, actor, target, total), what, sources)
            i += 1
            continue
        if act == "propose_ceasefire":
            answers, j = [], i + 1
            while (
                j < len(rows)
                and rows[j].hour == row.hour
                and labels.get(rows[j].action)
                in (
                    "accept_ceasefire",
                    "reject_ceasefire",
                )
            ):
                verdict = "accepts" if labels[rows[j].action] == "accept_ceasefire" else "rejects"
                answers.append(f"{_who(rows[j].actor, known)} {verdict} ({plain(rows[j].reason)})")
                j += 1
            why = "" if row.reason == "fighting continues" else f" ({plain(row.reason)})"
            text = f"{actor} proposes a ceasefire{why}" + (" — " + "; ".join(answers) if answers else "")
            out.append(Fact(row.hour, text, "offer", sources))
            i = j
            continue
        climbed = None
        if act is None and row.rung is not None and not pd.isna(row.rung):
            climbed = row.rung > rung.get(actor, -1)
            rung[actor] = int(row.rung)
        text = _sentence(row, act, actor, target)
        if climbed is False and not row.action.startswith("stops firing"):
            text = text.replace(f"{actor} ", f"{actor} steps down and ", 1)
        out.append(Fact(row.hour, text, _kind(act, climbed), sources))
        i += 1
    return out


def _summary(what: str, actor: str, target: str, total: dict) -> str:
    places = ", ".join(total["places"][:3]) + (" and others" if len(total["places"]) > 3 else "")
    hours = f"{total['hours']} hour{'s' if total['hours'] > 1 else ''}"
    if what == "strikes":
        n, stopped = int(total["n"]), total["intercepted"]
        times = f"{n} time{'s' if n > 1 else ''} in {hours}" + (f", {stopped} intercepted" if stopped else "")
        return f"{actor} strikes deep inside {target} {times}" + (f" ({places})" if places else "")
    return f"{actor} takes {total['n']:.1f} km² of {target}'s ground in {hours}, near {places}"


def _sentence(row, act: str | None, actor: str, target: str) -> str:
    reason = plain(row.reason)
    action = plain(row.action)
    match act:
        case "arrive":
            return f"{actor} arrives to mediate ({reason})"
        case "ceasefire":
            return f"Ceasefire between {target} takes effect ({reason})"
        case "ceasefire_breaks":  # actor: who broke it; target: the broker, or "bilateral"
            kind = {"mediated": "mediated", "offer": "agreed on an offer", "declaration": "declared"}.get(
                reason.removesuffix(" ceasefire breaks down"), ""
            )
            broker = "" if target in ("bilateral", "") else f" by {target}"
            return f"The ceasefire breaks down: {actor} fights again (it was {kind or 'agreed'}{broker})"
        case "invoke_treaty":
            return f"{actor} invokes its treaty with {target} and asks for military aid ({reason})"
        case "refuse":
            return f"{actor} refuses {target}'s demand ({action.removeprefix('refuses ')}): a red line"
        case "veto":
            verb = "block" if " and " in actor else "blocks"
            return f"{actor} {verb} any action by {target} (a veto)"
    return f"{actor} {action}" + (f" — {reason}" if reason else "")


def _kind(act: str | None, climbed: bool | None) -> str:
    if act is None:
        return "attack" if climbed else "de-escalation"
    return {
        "ceasefire": "ceasefire",
        "ceasefire_breaks": "breakdown",
        "concede": "concession",
        "refuse": "concession",
        "invoke_treaty": "invocation",
        "arrive": "mediator",
        "reject_mediator": "mediator",
        "restraint_call": "mediator",
        "veto": "mediator",
        "strikes_done": "de-escalation",
    }.get(act, "alliance")


def lines(scenario: Scenario, found: Iterable[Fact], sources: bool = False) -> list[str]:
    """Facts as dated lines; with ``sources``, each followed by where it came from."""
    out = []
    for f in found:
        out.append(f"{when(scenario, f.hour)}  {f.text}")
        if sources:
            out += [f"      source: {s}" for s in f.sources]
    return out


def outcome_lines(scenario: Scenario, outcomes: dict) -> list[str]:
    """The outcomes of a finished run in plain words, numbers rounded."""
    known = names(scenario)
    end = outcomes["ceasefire_hour"]
    fighting = int(outcomes["fighting_hours"])
    if isinstance(end, float) and math.isnan(end):
        quiet = "no lasting ceasefire by the end of the run" if fighting else "no fighting at all"
    else:
        quiet = f"quiet from {when(scenario, end)} (hour {end:.0f}) to the end of the run"
    broker = outcomes["ceasefire_broker"]
    ended = {"tacit": "without an agreement", "none": ""}.get(
        broker, f"under an agreement brokered by {known.get(broker, broker)}"
    )
    out = [f"Fighting in {fighting} hours; {quiet}" + (f", {ended}" if ended else "") + "."]
    for sid, state in scenario.states.items():
        parts = []
        deaths = int(outcomes[f"military_deaths.{sid}"])
        if deaths:
            parts.append(f"{deaths:,} soldiers killed")
        for col, unit in (("civilian_deaths", "civilians killed"), ("displaced", "people displaced")):
            n = int(outcomes[f"{col}.{sid}"])
            if n:
                parts.append(f"{n:,} {unit}")
        km2 = float(outcomes[f"territory_lost_km2.{sid}"])
        if km2 >= 0.05:
            parts.append(f"{km2:.1f} km² lost")
        strikes = int(outcomes[f"deep_strikes.{sid}"])
        if strikes:
            parts.append(f"{strikes} deep strikes launched at it")
        conceded = outcomes[f"concession.{sid}"]
        if conceded != "none":
            parts.append("conceded " + plain(conceded.replace("+", " and ")))
        if parts:
            out.append(f"{state.name}: " + ", ".join(parts) + ".")
    for aid, alliance in scenario.alliances.items():
        response = outcomes[f"alliance_response.{aid}"]
        label = ACTS[response].label if response in ACTS else response.replace("_", " ")
        out.append(f"{alliance.name}: {label}.")
    if outcomes["full_war"]:
        out.append("The crisis reached full-scale war.")
    return out


def timeline(
    scenario: Scenario, events: pd.DataFrame, outcomes: dict | None = None, sources: bool = False
) -> str:
    head = [f"{scenario.title}", f"hour 0 = {scenario.start:%d %b %Y %H:%M (UTC%z)}", ""]
    body = lines(scenario, facts(scenario, events), sources)
    tail = ["", "Outcome:", *(f"  {line}" for line in outcome_lines(scenario, outcomes))] if outcomes else []
    return "\n".join(head + body + tail)
