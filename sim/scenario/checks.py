"""Checks across a validated scenario's sections that no single field can make, and its warnings.

Errors: an entry listed twice, one id naming two things, an alliance of fewer than two states, a sector
that neighbours itself, a state at war with no border sector of its own (where its soldiers stand), a
state opening fire across a line it does not share with its adversary, a punitive aim that cannot
land its strikes.
Warnings: what the horizon cuts off (an event or a mediator arrival at or after it never happens).
"""

from __future__ import annotations

from collections.abc import Iterator
from random import Random

from pydantic import BaseModel

from sim.model import parties
from sim.model.geography import behind_the_line, build_sectors, fronts
from sim.model.ladder import STAND_OFF, Rung
from sim.scenario.schema import Scenario

ACTOR_TABLES = ("states", "alliances", "mediators")  # events name these by id, so one id is one actor


def problems(scenario: Scenario, ids_known: bool = True) -> Iterator[str]:
    """What makes a scenario unrunnable although every field is valid, one message per problem
    (fronts are looked for only when every id names something: ``ids_known``)."""
    yield from repeated_entries(scenario)
    first_use: dict[str, str] = {}
    for table in ACTOR_TABLES:
        for xid in getattr(scenario, table):
            if xid in first_use:
                yield (
                    f"key `{table}.{xid}`: id `{xid}` is also used in `{first_use[xid]}`; "
                    "state, alliance and mediator ids must differ"
                )
            first_use.setdefault(xid, table)
    for aid, alliance in scenario.alliances.items():
        if len(set(alliance.members)) < 2:
            yield f"key `alliances.{aid}.members`: an alliance needs at least two member states"
    for sid, sector in scenario.sectors.items():
        if sid in sector.neighbours:
            yield f"key `sectors.{sid}.neighbours`: a sector cannot neighbour itself"
    if ids_known:
        yield from _offensives(scenario)
        yield from _fire_without_a_line(scenario)
        yield from _punitive(scenario)


def _offensives(scenario: Scenario) -> Iterator[str]:
    """An offensive is a belligerent's move against another state: one that opens a war (a third
    party's dated entry) needs the aim its actor fought for."""
    for eid, event in scenario.events.items():
        if event.kind != "offensive" or not event.enabled:
            continue
        if event.actor == event.target:
            yield f"key `events.{eid}.target`: `{event.actor}` cannot open an offensive against itself"
        elif scenario.states[event.actor].war_aim == "none":
            yield (
                f"key `events.{eid}.actor`: `{event.actor}` opens an offensive but has "
                f'`war_aim = "none"`; expected the aim it fought for (`states.{event.actor}.war_aim`: '
                "coercive, punitive, territorial or defensive)"
            )


def _punitive(scenario: Scenario) -> Iterator[str]:
    """A punitive aim is met only by strikes that land on its one adversary's ground behind the line:
    one that cannot land them would strike for ever."""
    if all(state.targets is None for state in scenario.states.values()):
        return
    sectors, space = build_sectors(scenario, Random(0))
    for sid, state in scenario.states.items():
        if state.targets is None:
            continue
        foes = parties.foes(scenario, sid)
        if len(foes) != 1:
            yield (
                f"key `states.{sid}.targets`: a punitive aim strikes one adversary; expected one state at "
                f"war with `{sid}` at hour 0 (`adversary`), got {len(foes)}"
            )
            continue
        foe = foes[0]
        cannot = [
            why
            for why, blocked in (
                ("its `max_rung` is below deep_strikes", state.max_rung < Rung.DEEP_STRIKES),
                ("its `strikes_per_day` is 0", state.strikes_per_day == 0),
                (f"`states.{foe}.air_defence` stops every strike", scenario.states[foe].air_defence >= 1.0),
                (f"`{foe}` holds no sector behind its line", not behind_the_line(sectors, space.G, foe, sid)),
            )
            if blocked
        ]
        if cannot:
            yield (
                f"key `states.{sid}.targets`: a punitive aim met by strikes it cannot land on `{foe}` "
                f"({'; '.join(cannot)}); expected a state that can strike its targets"
            )


def _positional(model: BaseModel, name: str) -> bool:
    """A fixed-length tuple (one value per rung or per response level) holds values by position,
    not entries: repeated values are fine."""
    info = type(model).model_fields.get(name)
    meta = info.metadata if info else ()
    low = [m.min_length for m in meta if getattr(m, "min_length", None) is not None]
    high = [m.max_length for m in meta if getattr(m, "max_length", None) is not None]
    return bool(low) and low == high


def repeated_entries(model: BaseModel, prefix: str = "") -> Iterator[str]:
    """Lists (members, neighbours, demands, levels, ...) that name the same entry twice."""
    for name, value in model:
        key = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            yield from repeated_entries(value, f"{key}.")
        elif isinstance(value, dict):
            for xid, item in value.items():
                if isinstance(item, BaseModel):
                    yield from repeated_entries(item, f"{key}.{xid}.")
        elif isinstance(value, tuple) and not _positional(model, name):
            seen: set = set()
            for item in value:
                if item in seen:
                    yield f"key `{key}`: {item!r} is listed twice"
                    break
                seen.add(item)


def horizon_warning(scenario: Scenario) -> str:
    """One line naming the events and mediator arrivals that the horizon cuts off, or nothing."""
    horizon = scenario.horizon_hours
    late = [
        f"events.{eid}.hour = {e.hour:g}"
        for eid, e in scenario.events.items()
        if e.enabled and e.hour >= horizon
    ]
    late += [
        f"mediators.{mid}.arrival_hour = {m.arrival_hour:g}"
        for mid, m in scenario.mediators.items()
        if m.enabled and m.arrival_hour >= horizon
    ]
    if not late:
        return ""
    return f"at or after the horizon (horizon_hours = {horizon}), so never happens: {', '.join(late)}"


def _wars(scenario: Scenario) -> set[frozenset[str]]:
    """Pairs of states that are each other's adversary at hour 0 (``parties.enmities``) or once a
    scheduled offensive opens a war between them."""
    return {frozenset(pair) for pair in parties.enmities(scenario)} | {
        frozenset((e.actor, e.target))
        for e in scenario.events.values()
        if e.kind == "offensive" and e.enabled and e.target is not None
    }


def _in_contact(scenario: Scenario) -> set[frozenset[str]]:
    """Pairs of adversaries with a front between them, by the model's own definition of a front."""
    sectors, space = build_sectors(scenario, Random(0))
    wars = _wars(scenario)
    pairs = fronts(sectors, space.G, lambda a, b: frozenset((a, b)) in wars)
    return {frozenset((sectors[u].holder, sectors[v].holder)) for u, v in pairs}


def stand_offs(scenario: Scenario) -> list[str]:
    """Adversaries with no front between them (``A–B``): they can fight only by strikes at a
    distance. Worth a line in ``validate``: a forgotten ``neighbours`` entry looks the same."""
    contact = _in_contact(scenario)
    return sorted("–".join(sorted(pair)) for pair in _wars(scenario) - contact)


def _fire_without_a_line(scenario: Scenario) -> Iterator[str]:
    """Adversaries without a front can fight only by strikes at a distance (``ladder.STAND_OFF``):
    a state opening on a rung that needs a line to fire across or advance over is an error."""
    contact = _in_contact(scenario)
    names = [f'"{Rung(r).name.lower()}"' for r in STAND_OFF]
    expected = f"{', '.join(names[:-1])} or {names[-1]}"

    def refused(state: str, against: list[str], rung: int | None, key: str) -> Iterator[str]:
        if rung is None or rung in STAND_OFF or any(frozenset((state, a)) in contact for a in against):
            return
        yield (
            f'key `{key}`: rung "{Rung(rung).name.lower()}" needs a front, and `{state}` shares none with '
            f"{', '.join(f'`{a}`' for a in against)} (no adjacent sectors: `neighbours`): without "
            f"one it can fight only by strikes at a distance; expected {expected}"
        )

    wars = _wars(scenario)
    garrisoned = {x.owner for x in scenario.sectors.values() if x.border and x.garrison > 0.0}
    for sid, st in scenario.states.items():
        against = sorted(other for pair in wars if sid in pair for other in pair - {sid})
        if against and sid not in garrisoned:
            yield (
                f"key `states.{sid}`: a state at war needs a sector of its own with `border = true` and "
                f'`garrison` > 0 (`sectors.<id>.owner = "{sid}"`): its `forces` are garrisoned there, '
                "and its adversary's fire and strikes find its soldiers there"
            )
        elif against:
            yield from refused(sid, against, st.initial_rung, f"states.{sid}.initial_rung")
    for eid, event in scenario.events.items():
        if event.kind == "offensive" and event.enabled and event.target:
            yield from refused(event.actor, [event.target], event.rung, f"events.{eid}.rung")
