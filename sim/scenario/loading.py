"""Reading scenario files: TOML, ``extends`` chains, ``--set`` overrides, and clear errors.

Scenario files are data, never code: nothing in them is evaluated. A what-if names its base with
``extends = "sept2022.toml"`` (relative to its own folder) and overrides a few keys; tables merge
key by key, lists and values replace; a top-level ``remove = ["mediators.X", ...]`` drops
inherited entries (key paths into the base).
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import ValidationError

from sim.scenario.schema import Id, Scenario

# tables of entries by id (states, sectors, mediators, ...): an override may change an entry, not invent one
ID_TABLES = frozenset(
    name
    for name, f in Scenario.model_fields.items()
    if get_origin(f.annotation) is dict and get_args(f.annotation)[0] is Id
)


class ScenarioError(ValueError):
    """A scenario (or override) that cannot be run, with a message naming file, key and expectation."""


def load_scenario(path: str | Path, overrides: Iterable[str] | Mapping[str, Any] = ()) -> Scenario:
    """Read, merge, override and validate a scenario file.

    ``overrides`` are ``"key.path=value"`` strings (as given to ``--set``; the value is read as a TOML
    value, or as a bare string) or a mapping of key paths to values.
    """
    path = Path(path)
    raw = _read_with_extends(path, seen=())
    pairs = overrides.items() if isinstance(overrides, Mapping) else map(parse_override, overrides)
    for key, value in pairs:
        _set_path(raw, key, value, path)
    return validate(raw, path)


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any], origin: str = "overrides") -> Scenario:
    """A validated scenario with some values replaced (as ``--set`` would)."""
    if not overrides:
        return scenario
    raw = scenario.model_dump(mode="python")
    for key, value in overrides.items():
        _set_path(raw, key, value, Path(origin))
    return validate(raw, Path(origin))


def parse_override(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(
            f"--set {text!r}: expected KEY.PATH=VALUE, e.g. --set mediators.USA.arrival_hour=24"
        )
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    return key, parsed


def validate(raw: dict[str, Any], path: Path) -> Scenario:
    raw = {k: v for k, v in raw.items() if k != "extends"}
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(_explain(exc, path)) from None
    problems = list(_dangling_ids(scenario))
    if problems:
        raise ScenarioError(f"{path}: " + "; ".join(problems))
    return scenario


def scenario_hash(scenario: Scenario) -> str:
    """A content hash of the resolved scenario: equal hashes, equal runs for equal seeds."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _read_with_extends(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    path = path.resolve() if path.exists() else path
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ScenarioError(f"{path}: key `extends`: circular chain {chain}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        where = f" (extended by {seen[-1]})" if seen else ""
        raise ScenarioError(f"{path}: no such scenario file{where}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    base = raw.get("extends")
    if base is None:
        return raw
    if not isinstance(base, str):
        raise ScenarioError(f"{path}: key `extends`: expected a file name (string), got {base!r}")
    merged = _read_with_extends(path.parent / base, (*seen, path))
    removals = raw.pop("remove", [])
    _deep_merge(merged, raw)
    for key in removals if isinstance(removals, list) else [removals]:
        _remove_path(merged, key, path)
    return merged


def _remove_path(raw: dict[str, Any], key: Any, path: Path) -> None:
    """Drop an inherited entry (``remove = ["mediators.X"]`` in an extending file)."""
    *parents, leaf = str(key).split(".")
    node = raw
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict) or leaf not in node:
        raise ScenarioError(f"{path}: key `remove`: {key!r} is not an entry of the base scenario")
    del node[leaf]


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> None:
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def _set_path(raw: dict[str, Any], key: str, value: Any, path: Path) -> None:
    node = raw
    *parents, leaf = key.split(".")
    for i, part in enumerate(parents):
        if i == 1 and parents[0] in ID_TABLES and part not in node:
            known = ", ".join(node) or "none"
            raise ScenarioError(f"{path}: --set {key}: no {parents[0]} entry `{part}` (known: {known})")
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            where = ".".join(parents[: i + 1])
            raise ScenarioError(f"{path}: --set {key}: `{where}` is a value, not a table")
        node = child
    node[leaf] = value


def _explain(exc: ValidationError, path: Path) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            lines.append(f"key `{key}`: unknown key (a typo?); see docs/parameters.md")
        elif err["type"] == "missing":
            lines.append(f"key `{key}`: required but missing")
        else:
            lines.append(f"key `{key}`: {err['msg'].lower()} (got {err.get('input')!r})")
    return f"{path}: " + "; ".join(lines)


def _dangling_ids(s: Scenario):
    states, sectors = set(s.states), set(s.sectors)
    for sid, st in s.states.items():
        if st.adversary is not None and st.adversary not in states:
            yield f"key `states.{sid}.adversary`: unknown state id {st.adversary!r} (known: {_ls(states)})"
        if st.adversary == sid:
            yield f"key `states.{sid}.adversary`: a state cannot fight itself"
        for key, ids in (("adversaries", st.adversaries), ("patron", (st.patron,) if st.patron else ())):
            for other in ids:
                if other not in states or other == sid:
                    yield f"key `states.{sid}.{key}`: {other!r} is not another state (known: {_ls(states)})"
        for c in set(st.red_lines) & set(st.concessions):
            yield f"key `states.{sid}.concessions.{c}`: also listed in red_lines"
    for aid, al in s.alliances.items():
        for m in (*al.members, al.leader):
            if m not in states:
                yield f"key `alliances.{aid}`: unknown state id {m!r} (known: {_ls(states)})"
        if al.leader not in al.members:
            yield f"key `alliances.{aid}.leader`: {al.leader!r} is not among its members"
        for x in al.covers or ():
            if x not in sectors:
                yield f"key `alliances.{aid}.covers`: unknown sector id {x!r}"
    for mid, me in s.mediators.items():
        for party in me.acceptance:
            if party not in states:
                yield f"key `mediators.{mid}.acceptance.{party}`: unknown state id (known: {_ls(states)})"
        if me.favours is not None and me.favours not in states:
            yield f"key `mediators.{mid}.favours`: unknown state id {me.favours!r} (known: {_ls(states)})"
        if me.veto_holders and not me.security_council:
            yield f"key `mediators.{mid}.veto_holders`: only a security_council mediator has veto holders"
    for xid, sec in s.sectors.items():
        if sec.owner not in states:
            yield f"key `sectors.{xid}.owner`: unknown state id {sec.owner!r} (known: {_ls(states)})"
        for n in sec.neighbours:
            if n not in sectors:
                yield f"key `sectors.{xid}.neighbours`: unknown sector id {n!r}"
    actors = {
        "offensive": states,
        "treaty_invocation": states,
        "ceasefire_proposal": set(s.mediators),
        "restraint_call": set(s.mediators),
        "ceasefire_declaration": states,
        "summit": set(s.mediators),
        "economic_pressure": states | set(s.mediators),
    }
    targets = {"offensive": states, "treaty_invocation": set(s.alliances), "economic_pressure": states}
    for eid, ev in s.events.items():
        if ev.actor not in actors[ev.kind]:
            yield (
                f"key `events.{eid}.actor`: {ev.actor!r} is not a known "
                f"{'mediator' if 'ceasefire' in ev.kind or 'restraint' in ev.kind else 'state'} "
                f"(known: {_ls(actors[ev.kind])})"
            )
        if ev.kind in targets and ev.target not in targets[ev.kind]:
            yield (
                f"key `events.{eid}.target`: {ev.target!r} is not a known "
                f"{'alliance' if ev.kind == 'treaty_invocation' else 'state'} "
                f"(known: {_ls(targets[ev.kind])})"
            )
        if (
            ev.kind == "treaty_invocation"
            and ev.target in s.alliances
            and ev.actor not in s.alliances[ev.target].members
        ):
            yield f"key `events.{eid}.actor`: {ev.actor!r} is not a member of {ev.target!r}"
        if ev.kind == "offensive" and ev.rung is None:
            yield f"key `events.{eid}.rung`: an offensive needs the rung it opens with"
    for which, table in s.targets.items():
        for sid, t in table.items():
            if t.source is not None and t.source not in s.sources:
                yield f"key `targets.{which}.{sid}.source`: unknown source id {t.source!r}"


def _ls(ids: set[str]) -> str:
    return ", ".join(sorted(ids)) or "none"
