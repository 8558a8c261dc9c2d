"""Every bad input gets one clear error: the corpus in tests/bad_input/.

Each malformed scenario file (``bad_input/scenarios/``, run with ``escsim run``), experiment file
(``bad_input/experiments/``, run with ``escsim sweep``) and command line (``bad_input/commands.toml``)
must exit with code 2 and one line on stderr that names the file and the key (each file's first line
says what the message must contain), with no traceback, no output folder and nothing existing changed.
The CLI runs in-process (``sim.cli.main``); a few cases also run as a real ``escsim`` process.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from sim.cli import main
from sim.scenario.loading import MAX_EXTENDS, ScenarioError, ScenarioWarning, load_scenario
from sim.scenario.schema import admitted_types

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "bad_input"
BASELINE = ROOT / "scenarios" / "sept2022.toml"
WATCHED = [ROOT / "scenarios", ROOT / "experiments", CORPUS, ROOT / "results"]


def expectations(path: Path) -> list[str]:
    """The ``# expect: a | b`` first line of a corpus file."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with `# expect: ...`"
    return [part.strip() for part in first.removeprefix("# expect: ").split("|")]


def chain(folder: Path, prefix: str, files: int) -> None:
    """``files`` scenario files, each extending the next, the last extending the baseline."""
    for i in range(files):
        base = f"{prefix}_{i + 1:04d}.toml" if i + 1 < files else str(BASELINE)
        (folder / f"{prefix}_{i:04d}.toml").write_text(f'extends = "{base}"\n', encoding="utf-8")


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """Bad files that cannot be committed (a FIFO), or would bloat the repository."""
    folder = tmp_path_factory.mktemp("made")
    os.mkfifo(folder / "fifo.toml")
    (folder / "extends_fifo.toml").write_text('extends = "fifo.toml"\n', encoding="utf-8")
    (folder / "experiment_on_fifo.toml").write_text(
        'name = "x"\nscenario = "fifo.toml"\n[parameters."horizon_hours"]\nlevels = [24]\n', encoding="utf-8"
    )
    chain(folder, "chain2000", 2000)
    chain(folder, "chain33", MAX_EXTENDS - 1)  # with the baseline and its behaviour file, one too many
    chain(folder, "chain32", MAX_EXTENDS - 2)  # with the baseline and its behaviour file, just allowed
    (folder / "big.toml").write_text(f'title = "{"x" * 1_500_000}"\n', encoding="utf-8")
    (folder / "huge_title.toml").write_text(
        f'extends = "{BASELINE}"\ntitle = "{"x" * 900_000}"\n', encoding="utf-8"
    )
    (folder / "latin1.toml").write_bytes(
        f'extends = "{BASELINE}"\ntitle = "Erevan à l\'aube"\n'.encode("latin-1")
    )
    (folder / "deep_inline.toml").write_text(
        "x = " + "{a = " * 2000 + "1" + "}" * 2000 + "\n", encoding="utf-8"
    )
    (folder / "deep_array.toml").write_text("x = " + "[" * 2000 + "1" + "]" * 2000 + "\n", encoding="utf-8")
    (folder / "deep_dotted.toml").write_text("[" + ".".join(["a"] * 2000) + "]\nb = 1\n", encoding="utf-8")
    (folder / "extends_deep_dotted.toml").write_text('extends = "deep_dotted.toml"\n', encoding="utf-8")
    return folder


def snapshot(*folders: Path, digests: bool = True) -> dict[str, tuple]:
    """Every file under ``folders``: kind, size, mtime and (for small regular files) a content hash."""
    state = {}
    for folder in folders:
        if not folder.exists():
            continue
        for path in [folder, *folder.rglob("*")]:
            info = path.lstat()
            digest = ""
            if digests and path.is_file() and not path.is_symlink() and info.st_size < 1_000_000:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            state[str(path)] = (info.st_mode, info.st_size, info.st_mtime_ns, digest)
    return state


def cases() -> list:
    found = []
    for path in sorted((CORPUS / "scenarios").glob("*.toml")):
        args = ["run", str(path), "--runs", "2", "--quiet"]
        found.append(pytest.param(args, [path.name, *expectations(path)], id=f"scenario-{path.stem}"))
    for path in sorted((CORPUS / "experiments").glob("*.toml")):
        args = ["sweep", str(path), "--workers", "1", "--quiet"]
        found.append(pytest.param(args, [path.name, *expectations(path)], id=f"experiment-{path.stem}"))
    table = tomllib.loads((CORPUS / "commands.toml").read_text(encoding="utf-8"))["case"]
    for i, case in enumerate(table):
        label = re.sub(r"[^\w.=-]+", "_", " ".join(a.rsplit("/", 1)[-1] for a in case["args"]))
        found.append(pytest.param(case["args"], case["expect"], id=f"command{i:02d}-{label[:60]}"))
    return found


def fill(args: list[str], made: Path) -> list[str]:
    return [a.replace("{root}", str(ROOT)).replace("{made}", str(made)) for a in args]


def assert_one_clear_error(code: int, out: str, err: str, needles: list[str]) -> None:
    assert code == 2, f"exit {code}: {err}"
    assert "Traceback" not in err
    assert out == "", out
    assert len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err!r}"


@pytest.mark.parametrize(("args", "needles"), cases())
def test_bad_input_gives_one_clear_error(args, needles, made, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # default output folders would land here
    before = snapshot(*WATCHED), snapshot(made, digests=False)
    code = main(fill(args, made))
    captured = capsys.readouterr()
    assert_one_clear_error(code, captured.out, captured.err, needles)
    assert list(tmp_path.iterdir()) == [], "an output folder was written"
    assert (snapshot(*WATCHED), snapshot(made, digests=False)) == before, "an existing file changed"


def test_the_corpus_is_large_enough():
    assert len(cases()) >= 40


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (
            ["run", "{root}/tests/bad_input/scenarios/inf_area.toml", "--runs", "2"],
            ["inf_area.toml", "area_km2"],
        ),
        (["sweep", "{root}/scenarios/sept2022.toml"], ["sept2022.toml", "not an experiment file"]),
        (["run", "{made}/chain2000_0000.toml"], ["more than 32 files"]),
        (["run", "{root}/scenarios/sept2022.toml", "--runs", "0"], ["--runs"]),
    ],
)
def test_as_a_real_process(args, needles, made, tmp_path):
    exe = Path(sys.executable).with_name("escsim")
    proc = subprocess.run(
        [str(exe), *fill(args, made)], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert_one_clear_error(proc.returncode, proc.stdout, proc.stderr, needles)
    assert list(tmp_path.iterdir()) == []


def test_a_chain_at_the_depth_limit_still_loads(made):
    scenario = load_scenario(made / "chain32_0000.toml")
    assert scenario.name == "sept2022"


def test_events_and_arrivals_after_the_horizon_warn_once_in_one_line(tmp_path, monkeypatch, capsys):
    path = tmp_path / "late.toml"
    path.write_text(
        f'extends = "{BASELINE}"\nhorizon_hours = 60\n[events.russian_ceasefire]\nhour = 70\n',
        encoding="utf-8",
    )
    assert main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("escsim: warning: ")
    assert "late.toml" in err and "events.russian_ceasefire.hour = 70" in err
    assert "mediators.UNSC.arrival_hour = 62" in err
    with warnings.catch_warnings(record=True) as caught:  # the library warns, the CLI prints
        warnings.simplefilter("always")
        load_scenario(path)
    assert [w.category for w in caught] == [ScenarioWarning]
    # an experiment loads its scenario once per probed value: the warning is still printed once
    exp = tmp_path / "exp.toml"
    exp.write_text(
        'name = "x"\nscenario = "late.toml"\n[parameters."states.AZE.stake"]\nlevels = [1.0, 2.0]\n'
        '[parameters."states.AZE.stak"]\nlevels = [1.0]\n',
        encoding="utf-8",
    )
    assert main(["sweep", str(exp), "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("escsim: warning:") == 1 and err.count("escsim: error:") == 1, err
    assert "did you mean `stake`?" in err


def test_a_disabled_late_event_or_mediator_does_not_warn(tmp_path, capsys):
    path = tmp_path / "quiet.toml"
    path.write_text(
        f'extends = "{BASELINE}"\nhorizon_hours = 60\n[mediators.UNSC]\nenabled = false\n', encoding="utf-8"
    )
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().err == ""


def test_documented_infinity_can_be_allowed_per_field(monkeypatch):
    """The opt-in the schema documents: a field that means ∞ says ``allow_inf_nan=True``."""
    from sim.scenario.schema import Strict, field, reference_markdown

    class Section(Strict):
        finite: float = field(1.0, "finite only")
        unbounded: float = field(1.0, "∞ means never", allow_inf_nan=True)

    assert Section(unbounded=float("inf")).unbounded == float("inf")
    with pytest.raises(ValueError, match="finite"):
        Section(finite=float("inf"))
    monkeypatch.setattr("sim.scenario.schema.SECTIONS", (Section,))
    assert "| `unbounded` | ∞ means never |  | ∞ allowed |" in reference_markdown()


def numeric_keys(model: BaseModel, prefix: str = "") -> list[str]:
    """Key paths of every number in a scenario (``states.AZE.forces``, ``states.ARM.concessions.x``)."""
    keys = []
    for name, info in type(model).model_fields.items():
        value, key = getattr(model, name), f"{prefix}{name}"
        types = admitted_types(info.annotation)
        if isinstance(value, BaseModel):
            keys += numeric_keys(value, f"{key}.")
        elif isinstance(value, dict):
            for xid, item in value.items():
                if isinstance(item, BaseModel):
                    keys += numeric_keys(item, f"{key}.{xid}.")
                elif isinstance(item, int | float) and not isinstance(item, bool):
                    keys.append(f"{key}.{xid}")
        elif (int in types or float in types) and bool not in types:
            keys.append(key)
    return keys


def test_every_number_in_a_scenario_refuses_non_finite_values_and_booleans():
    """Not field by field: every numeric key of the baseline, whatever section it is in."""
    keys = numeric_keys(load_scenario(BASELINE))
    assert (
        len(keys) > 150
        and "sectors.SOTK.area_km2" in keys
        and "states.ARM.concessions.recognise_borders" in keys
    )
    accepted = []
    for key in keys:
        for value in (float("inf"), float("-inf"), float("nan"), True, 1e300):
            try:
                load_scenario(BASELINE, {key: value})
            except ScenarioError as exc:
                assert f"`{key}" in str(exc) or f"`{key.rsplit('.', 1)[0]}`" in str(exc), str(exc)
            else:
                accepted.append(f"{key}={value}")
    assert accepted == []


def leaf_keys(value, prefix: str = "") -> list[str]:
    """Key paths of every value in a dumped scenario (``targets`` left out: their keys hold dots)."""
    if isinstance(value, dict) and value:
        return [k for name, v in value.items() if name != "targets" for k in leaf_keys(v, f"{prefix}{name}.")]
    return [prefix.rstrip(".")]


BASE = load_scenario(BASELINE)
KEYS = leaf_keys(BASE.model_dump(mode="python"))
scalars = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.text(max_size=30),
    st.datetimes(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(KEYS), value=values)
def test_any_value_for_any_key_is_a_scenario_or_a_scenario_error(key, value):
    """Whatever lands in a scenario, loading gives a valid scenario or one ScenarioError naming the key."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        try:
            scenario = load_scenario(BASELINE, {key: value})
        except ScenarioError as exc:
            message = str(exc)
            assert "\n" not in message and message.startswith(str(BASELINE))
            assert key.split(".")[0] in message or "front" in message, message
        else:
            assert scenario.model_dump() is not None
