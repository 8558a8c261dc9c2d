"""Reading scenario files: TOML, ``extends`` chains, ``--set`` overrides, and clear errors.

Scenario files are data, never code: nothing in them is evaluated. A what-if names its base with
``extends = "sept2022.toml"`` (relative to its own folder) and overrides a few keys; tables merge
key by key, lists and values replace; a top-level ``remove = ["mediators.X", ...]`` drops
inherited entries (key paths into the base). What is read is bounded — regular ``.toml`` files of at most
1 MB, ``extends`` chains of at most 32 files, tables nested at most 32 deep — so a bad file gives an
error, never a hang or a crash.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import re
import stat
import tomllib
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from sim.scenario.checks import horizon_warning, problems
from sim.scenario.schema import ID_PATTERN, Id, Scenario, admitted_types, canonical, did_you_mean

# tables of entries by id (states, sectors, mediators, ...): an override may change an entry, not invent one
ID_TABLES = frozenset(
    name
    for name, f in Scenario.model_fields.items()
    if get_origin(f.annotation) is dict and get_args(f.annotation)[0] is Id
)
MAX_FILE_BYTES = 1_000_000
MAX_EXTENDS = 32  # files in one extends chain
Origins = dict[tuple[str, ...], Path]  # key path → the file of an extends chain that set it
KEY_AT_START = re.compile(r"^key `([^`]+)`")
MAX_NESTING = 32  # tables and lists inside one another (a scenario needs 4)
MAX_ERRORS = 8  # problems listed in one message
UNION_TAGS = frozenset({"float", "int", "str", "constrained-str", "bool", "none"})  # pydantic's union members


class ScenarioError(ValueError):
    """A scenario (or override) that cannot be run, with a message naming file, key and expectation."""


class ScenarioWarning(UserWarning):
    """A scenario that runs but not as its author may think (e.g. an event after the horizon)."""


def load_scenario(path: str | Path, overrides: Iterable[str] | Mapping[str, Any] = ()) -> Scenario:
    """Read, merge, override and validate a scenario file.

    ``overrides`` are ``"key.path=value"`` strings (as given to ``--set``; the value is read as a TOML
    value, or as a bare string) or a mapping of key paths to values.
    """
    path = Path(path)
    origins: Origins = {}
    raw = _read_with_extends(path, seen=(), origins=origins)
    pairs = overrides.items() if isinstance(overrides, Mapping) else map(parse_override, overrides)
    for key, value in pairs:
        _set_path(raw, key, value, path)
        origins[tuple(key.split("."))] = path  # an override is the command line's, not a base file's
    scenario = validate(raw, path, origins)
    late = horizon_warning(scenario)
    if late:
        warnings.warn(f"{path}: {late}", ScenarioWarning, stacklevel=2)
    return scenario


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any], origin: str = "overrides") -> Scenario:
    """A validated scenario with some values replaced (as ``--set`` would)."""
    if not overrides:
        return scenario
    raw = scenario.model_dump(mode="python")
    for key, value in overrides.items():
        _set_path(raw, key, value, Path(origin))
    return validate(raw, Path(origin))


def parse_override(text: str) -> tuple[str, Any]:
    """``"key.path=value"`` → (key path, value read as TOML, or as a bare string)."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(
            f"--set {_show(text)}: expected KEY.PATH=VALUE, e.g. --set mediators.USA.arrival_hour=24"
        )
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        parsed = value.strip()
    if _too_deep(parsed, MAX_NESTING):
        raise ScenarioError(f"--set {_cut(key)}: values nested more than {MAX_NESTING} deep")
    return key, canonical(key, parsed)


def validate(raw: dict[str, Any], path: Path, origins: Origins | None = None) -> Scenario:
    raw = {k: v for k, v in raw.items() if k != "extends"}
    scenario = parse(Scenario, raw, path, origins)
    dangling = list(_dangling_ids(scenario))
    found = [*dangling, *problems(scenario, ids_known=not dangling)]
    if found:
        raise ScenarioError(_join(path, _attributed(found, path, origins)))
    return scenario


def _note_origins(raw: Mapping[str, Any], path: Path, origins: Origins, prefix: tuple[str, ...] = ()) -> None:
    """Record ``path`` as the file that set each key of ``raw`` (a later, extending file's win)."""
    for key, value in raw.items():
        origins[(*prefix, key)] = path
        if isinstance(value, Mapping):
            _note_origins(value, path, origins, (*prefix, key))


def _attributed(found: list[str], path: Path, origins: Origins | None) -> list[str]:
    """Each message about a key that a file ``path`` extends set names that file."""
    out = []
    for line in found:
        match = KEY_AT_START.match(line)
        origin = _origin(match.group(1), origins) if match and origins else None
        if origin is not None and origin.resolve() != path.resolve():
            line = f"{line[: match.end()]} (set in {origin}, which this file extends){line[match.end() :]}"
        out.append(line)
    return out


def _origin(key: str, origins: Origins) -> Path | None:
    """The file that set ``key``, or the table holding it (a missing key is its table's)."""
    parts = tuple(key.replace("'", "").split("."))
    return next((origins[parts[:n]] for n in range(len(parts), 0, -1) if parts[:n] in origins), None)


def scenario_hash(scenario: Scenario) -> str:
    """A content hash of the resolved scenario: equal hashes, equal runs for equal seeds."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_toml(path: Path, what: str, named_by: str = "") -> dict[str, Any]:
    """The table in a TOML file, or a ScenarioError saying why it cannot be read as a ``what``;
    ``named_by`` prefixes the message with where the path came from (e.g. an ``extends`` key)."""
    where, a = f"{named_by}{path}", "an" if what[0] in "aeiou" else "a"
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ScenarioError(f"{where}: no such {what}") from None
    except OSError as exc:
        raise ScenarioError(f"{where}: cannot read the {what} ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ScenarioError(f"{where}: is a folder, not {a} {what} (a .toml file)")
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError(f"{where}: not a regular file; {a} {what} is a .toml file")
    if path.suffix != ".toml":
        raise ScenarioError(f"{where}: {a} {what} must be a .toml file")
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"{where}: cannot read the {what} ({exc.strerror})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(f"{where}: larger than {MAX_FILE_BYTES:,} bytes, the most {a} {what} may be")
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(f"{where}: not a text file (not UTF-8); {a} {what} is TOML text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{where}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(f"{where}: values nested more than {MAX_NESTING} deep") from None
    deep = _too_deep(raw, MAX_NESTING)
    if deep:
        raise ScenarioError(f"{where}: key `{_cut(deep)}`: tables nested more than {MAX_NESTING} deep")
    return raw


def _too_deep(value: Any, limit: int, key: str = "") -> str:
    """The key path at which ``value`` holds tables or lists more than ``limit`` deep, or nothing."""
    if not isinstance(value, dict | list):
        return ""
    if limit == 0:
        return key
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for k, v in items:
        found = _too_deep(v, limit - 1, f"{key}.{k}" if key else str(k))
        if found:
            return found
    return ""


def _read_with_extends(path: Path, seen: tuple[Path, ...], origins: Origins | None = None) -> dict[str, Any]:
    """The merged table of a scenario file and the files it extends (``seen``: the files extending
    it); ``origins`` records which file set each key."""
    named_by = f"{seen[-1]}: key `extends`: " if seen else ""
    if path.resolve() in map(Path.resolve, seen):
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ScenarioError(f"{named_by}circular chain {chain}")
    if len(seen) >= MAX_EXTENDS:
        raise ScenarioError(f"{seen[0]}: key `extends`: a chain of more than {MAX_EXTENDS} files (at {path})")
    raw = read_toml(path, "scenario file", named_by)
    if "scenario" in raw or "parameters" in raw:  # an experiment's required keys, never a scenario's
        raise ScenarioError(
            f"{named_by}{path}: an experiment file (it has `scenario` and `parameters`), not a scenario "
            "file; run it with `escsim sweep`"
        )
    base = raw.get("extends")
    if base is None:
        if origins is not None:
            _note_origins(raw, path, origins)
        return raw
    if not isinstance(base, str):
        raise ScenarioError(f"{path}: key `extends`: expected a file name (string), got {_show(base)}")
    merged = _read_with_extends(path.parent / base, (*seen, path), origins)
    if origins is not None:
        _note_origins(raw, path, origins)
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
    *parents, leaf = parts = key.split(".")
    if parts[0] == "extends":
        raise ScenarioError(
            f"{path}: override `{key}`: `extends` cannot be overridden; write a what-if file that extends "
            "the scenario instead"
        )
    if not all(parts) or len(parts) > MAX_NESTING:
        raise ScenarioError(
            f"{path}: override {_show(key)}: expected a key path, e.g. mediators.USA.arrival_hour"
        )
    for i, part in enumerate(parents):
        if i == 1 and parents[0] in ID_TABLES and part not in node:
            known = ", ".join(node) or "none"
            hint = did_you_mean(part, node)
            raise ScenarioError(
                f"{path}: override `{key}`: no {parents[0]} entry `{part}`{hint} (known: {known})"
            )
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            where = ".".join(parents[: i + 1])
            raise ScenarioError(f"{path}: override `{key}`: `{where}` is a value, not a table")
        node = child
    node[leaf] = value


def parse[M: BaseModel](root: type[M], raw: dict[str, Any], path: Path, origins: Origins | None = None) -> M:
    """``raw`` validated as ``root``, or a ScenarioError naming each invalid key of ``path`` (and the
    file it extends that set the key, from ``origins``)."""
    try:
        return root.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(explain(exc, path, root, origins)) from None


def explain(exc: ValidationError, path: Path, root: type[BaseModel], origins: Origins | None = None) -> str:
    """One line naming each invalid key of a file validated as ``root`` and what it expected."""
    lines, keys = [], set()
    for err in exc.errors():
        # a key with a line break or other control character is shown escaped: one line per error
        loc = ["".join(c if c.isprintable() else repr(c)[1:-1] for c in str(p)) for p in err["loc"]]
        if len(loc) > 1 and loc[-1] in UNION_TAGS:  # one error per key, not one per type it could be
            loc = loc[:-1]
        key, kind = ".".join(loc), err["type"]
        if key in keys:
            continue
        keys.add(key)
        where = f"key `{key}`: " if key else ""
        if kind == "extra_forbidden":
            hint = did_you_mean(loc[-1], _fields_at(root, loc[:-1])) or "; see docs/parameters.md"
            lines.append(f"{where}unknown key{hint}")
        elif kind == "missing":
            lines.append(f"{where}required but missing")
        elif kind == "value_error":  # a model's own check: its message says it all
            lines.append(where + err["msg"].removeprefix("Value error, "))
        else:
            lines.append(f"{where}{_expected(err)}, got {_given(err)}")
    return _join(path, _attributed(lines, path, origins))


EXPECTED = {  # pydantic error type → what was expected, in the words of the other messages
    "finite_number": "expected a finite number",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "int_from_float": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "string_type": "expected text (in quotes)",
    "timezone_aware": "expected a date and time with its UTC offset, e.g. 2022-09-13T00:05:00+04:00",
    "greater_than_equal": "expected a value ≥ {ge}",
    "greater_than": "expected a value > {gt}",
    "less_than_equal": "expected a value ≤ {le}",
    "less_than": "expected a value < {lt}",
    "too_short": "expected {min_length} or more entries",
    "too_long": "expected {max_length} or fewer entries",
    "string_too_long": "expected at most {max_length:,} characters",
}


def _expected(err: Any) -> str:
    ctx = err.get("ctx", {})
    if err["type"] == "string_pattern_mismatch" and ctx.get("pattern") == ID_PATTERN:
        return "expected an id (a letter, then letters, digits or _)"
    if err["type"] in EXPECTED:
        return EXPECTED[err["type"]].format(**ctx)
    message = err["msg"]  # e.g. "Input should be 'grid', 'lhs' or ..."
    return "expected " + message.removeprefix("Input should be ") if message.startswith("Input") else message


def _given(err: Any) -> str:
    if err["type"] == "misfit":
        return _show(err["ctx"]["got"])
    if err["type"] == "string_too_long":
        return f"{len(err['input']):,} characters"
    return _show(err["input"])


def _fields_at(root: type[BaseModel], parts: list[str]) -> list[str]:
    """The keys allowed at a key path (``mediators.USA`` → a mediator's keys)."""
    annotation: Any = root
    for part in parts:
        models = [t for t in admitted_types(annotation) if isinstance(t, type) and issubclass(t, BaseModel)]
        tables = [t for t in admitted_types(annotation) if get_origin(t) is dict]
        if models and part in models[0].model_fields:
            annotation = models[0].model_fields[part].annotation
        elif tables:
            annotation = get_args(tables[0])[1]
        else:
            return []
    models = [t for t in admitted_types(annotation) if isinstance(t, type) and issubclass(t, BaseModel)]
    return list(models[0].model_fields) if models else []


def _show(value: Any, limit: int = 60) -> str:
    """A value as the user wrote it (TOML-style booleans), cut short if long."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    else:
        text = repr(value)
    return _cut(text, limit)


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[: limit - 20]}… ({len(text):,} characters)"


def _join(path: Path, found: list[str]) -> str:
    more = f"; and {len(found) - MAX_ERRORS} more" if len(found) > MAX_ERRORS else ""
    return f"{path}: " + "; ".join(found[:MAX_ERRORS]) + more


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
    parties = states | set(s.alliances)
    for key, obs in s.observed.items():
        for which in ("source", "revised_source"):
            ref = getattr(obs, which)
            if ref is not None and ref not in s.sources:
                known = _ls(set(s.sources))
                yield f"key `observed.{key!r}.{which}`: unknown source id {ref!r} (known: {known})"
        for term in key.split("+"):
            measure, _, who = term.strip().partition(".")
            if not measure or (who and who not in parties):
                yield (
                    f"key `observed.{key!r}`: expected an outcome column such as "
                    f"`military_deaths.<STATE>` or columns joined by `+`, with known state or "
                    f"alliance ids (known: {_ls(parties)}), got {term.strip()!r}"
                )


def _ls(ids: set[str]) -> str:
    return ", ".join(sorted(ids)) or "none"
