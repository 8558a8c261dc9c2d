"""``escsim``: run an ensemble, validate a scenario, narrate one run, print the schema.

Errors in what the user gave (a scenario, an override, a folder) print one paragraph naming the
file, key and expectation, and exit with code 2; no traceback, nothing half-written.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sim.scenario.checks import stand_offs
from sim.scenario.loading import ScenarioError, ScenarioWarning, load_scenario, parse_override

if TYPE_CHECKING:
    from sim.calibration.posterior import Posterior

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, like every other error (argparse prints the whole usage first)."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _overrides(pairs: list[str]) -> dict:
    return dict(parse_override(p) for p in pairs)


def _whole(minimum: int, maximum: int, what: str):
    """An argparse type: a whole number from ``minimum`` to ``maximum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"expected {what} from {minimum} to {maximum:,}, got {value}")
        return value

    return parse


_runs = _whole(1, 10_000_000, "a number of runs")
_workers = _whole(1, 1024, "a number of workers")
_seed = _whole(0, 2**63 - 1, "a seed")


def _folder(text: str) -> str:
    """An argparse type: an existing results folder (a file given here is named as such)."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        kind = "a scenario or experiment file" if path.suffix == ".toml" else "a file"
        raise argparse.ArgumentTypeError(f"{text} is {kind}, not a results folder")
    return text


def _warn_once(shown: set[str]):
    """A ``warnings.showwarning`` that prints each scenario warning once, in one line."""
    default = warnings.showwarning

    def show(message, category, *args, **kwargs):
        if not issubclass(category, ScenarioWarning):
            return default(message, category, *args, **kwargs)
        if str(message) not in shown:
            shown.add(str(message))
            print(f"escsim: warning: {message}", file=sys.stderr)
        return None

    return show


def _posterior(args: argparse.Namespace):
    """The posterior given with --posterior DIR (each run draws its calibrated parameters), or None."""
    from sim.calibration.posterior import Posterior

    return Posterior.load(args.posterior) if args.posterior else None


def _results_name(name: str, posterior: Posterior | None) -> str:
    """A default results folder's name; with --posterior, the calibration's too, so that runs
    drawn from a posterior never share a folder with runs at the scenario's own values."""
    return name if posterior is None else f"{name}-posterior-{posterior.name}"


def _engine(args: argparse.Namespace):
    from sim.experiments.engines import engine

    try:
        return engine(_worker_count(args), args.scheduler, args.dask_local)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ScenarioError(
            f"--scheduler {args.scheduler}: cannot reach the Dask scheduler ({exc}); "
            "expected an address such as tcp://host:8786"
        ) from None


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.calibration import session
    from sim.calibration.config import load_calibration

    cal = load_calibration(args.file)
    if args.max_minutes is not None:  # this session's budget; not part of what a resume must match
        cal = cal.with_stop(max_minutes=args.max_minutes)
    each = args.leave_each_out or args.leave_out == "all"
    for crisis in list(cal.crises) if each else [args.leave_out] if args.leave_out else []:
        cal.split(crisis)  # a clear error before any worker starts
    eng = _engine(args)
    try:
        if each:
            session.leave_each_out(cal, Path(args.out or session.default_out(cal, None)), eng)
        else:
            session.one(cal, Path(args.out or session.default_out(cal, args.leave_out)), eng, args.leave_out)
    finally:
        eng.close()
    return 0


class Progress:
    """tqdm bars for ``write_results``: one per session, started with the runs already done."""

    def __init__(self, desc: str, quiet: bool) -> None:
        self.desc, self.quiet, self.bars = desc, quiet, []

    def __call__(self, total: int, done: int):
        from tqdm import tqdm

        bar = tqdm(
            total=total,
            initial=done,
            unit="run",
            desc=self.desc,
            disable=self.quiet,
            file=sys.stderr,
            smoothing=0.1,
        )
        self.bars.append(bar)
        return bar.update

    def close(self) -> None:
        for bar in self.bars:
            bar.close()


def note(text: str) -> None:
    print(f"escsim: note: {text}", file=sys.stderr)


def write(args: argparse.Namespace, plan, out: Path, eng, engine_name: str, finish=None):
    """Run ``plan`` into ``out`` through the library's one writer, with a progress bar; say where
    the runs are if it is interrupted or a worker dies."""
    from concurrent.futures.process import BrokenProcessPool

    from sim.experiments.results import ResultsError, write_results

    args.interrupted = f"finished runs are in {out}/; run the same command again to resume"
    progress = Progress(plan.scenarios[0].name if plan.command != "sweep" else out.name, args.quiet)
    try:
        return write_results(
            plan,
            out,
            eng,
            overwrite=args.overwrite,
            engine_name=engine_name,
            progress=progress,
            notify=note,
            finish=finish,
        )
    except BrokenProcessPool as exc:
        raise ResultsError(
            f"a worker process died ({exc}); the runs finished before it are in {out}/: "
            "run the same command again to resume",
            exit_code=1,
        ) from None
    finally:
        progress.close()
        eng.close()


def _worker_count(args: argparse.Namespace) -> int:
    return args.workers or os.cpu_count() or 1


def cmd_run(args: argparse.Namespace) -> int:
    from sim.experiments.engines import engine
    from sim.experiments.results import default_folder, load_outcomes, load_series, run_plan, write_text

    overrides = _overrides(args.set)
    scenario = load_scenario(args.scenario, overrides)
    posterior = _posterior(args)
    plan = run_plan(scenario, args.scenario, overrides, args.runs, args.seed, posterior)
    name = _results_name(scenario.name, posterior)
    out = Path(args.out) if args.out else default_folder(name, overrides, args.seed)
    summary: list[str] = []

    def finish(folder: Path) -> list[Path]:
        from sim.analysis.plots import ensemble_plots
        from sim.analysis.summary import format_summary

        outcomes, series = load_outcomes(folder), load_series(folder)
        outcomes = outcomes[outcomes["error"].isna()]  # failed runs are counted in the last line
        summary.append(format_summary(scenario, outcomes, series))
        write_text(folder / "summary.txt", summary[0] + "\n")
        return [folder / "summary.txt", *ensemble_plots(scenario, outcomes, series, folder / "plots")]

    workers = min(_worker_count(args), args.runs)
    report = write(args, plan, out, engine(workers), f"local processes, {workers} workers", finish)
    print(summary[0])
    print(f"{report.line()} on {workers} worker(s); results in {out}/")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, _overrides(args.set))
    counts = (
        f"{len(scenario.states)} states, {len(scenario.alliances)} alliances, "
        f"{len(scenario.mediators)} mediators, {len(scenario.sectors)} sectors, "
        f"{len(scenario.events)} events, horizon {scenario.horizon_hours} h"
    )
    print(f"{args.scenario}: valid ({counts})")
    apart = stand_offs(scenario)
    if apart:
        print(f"  no front between {', '.join(apart)}: they fight by strikes at a distance only")
    return 0


def cmd_narrate(args: argparse.Namespace) -> int:
    from sim.analysis.narrate import timeline
    from sim.calibration.posterior import draw
    from sim.experiments.runner import run
    from sim.scenario.loading import with_overrides

    scenario = load_scenario(args.scenario, _overrides(args.set))
    if args.figure and Path(args.figure).exists():
        raise ScenarioError(
            f"--figure {args.figure}: the file exists; give a new name (nothing is overwritten)"
        )
    scenario = with_overrides(scenario, draw(_posterior(args), args.seed, ()))
    result = run(scenario, args.seed)
    print(timeline(scenario, result.events, result.outcomes, sources=args.sources))
    if args.figure:
        from sim.viz.figures import save_run_figure

        save_run_figure(scenario, result, Path(args.figure))
        print(f"figure in {args.figure}")
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    from sim.viz.server import serve

    load_scenario(args.scenario)  # a clear error now, not in the browser
    serve(Path(args.scenario), args.host, args.port)
    return 0  # not reached: the server replaces this process


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.experiments.results import default_folder
    from sim.experiments.sweep import sweep_plan

    posterior = _posterior(args)
    plan = sweep_plan(args.experiment, posterior)  # fail fast, before any worker starts
    out = Path(args.out) if args.out else default_folder(_results_name(plan.spec["name"], posterior), {}, 1)
    if args.scheduler:
        name = f"dask scheduler {args.scheduler}"
    elif args.dask_local:
        name = f"dask LocalCluster, {args.dask_local} workers"
    else:
        name = f"local processes, {_worker_count(args)} workers"
    report = write(args, plan, out, _engine(args), name)
    print(f"{report.line()}; results in {out}/")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.experiments.engines import engine
    from sim.experiments.results import (
        compare_plan,
        comparison_names,
        default_folder,
        load_outcomes,
        write_text,
    )

    overrides = _overrides(args.set)
    scenarios = [load_scenario(path, overrides) for path in args.scenarios]  # all valid first
    posterior = _posterior(args)
    plan = compare_plan(scenarios, args.scenarios, overrides, args.runs, args.seed, posterior)
    names = comparison_names(scenarios, args.scenarios)
    out = (
        Path(args.out)
        if args.out
        else default_folder(_results_name(f"compare-{'-vs-'.join(names)}", posterior), overrides, args.seed)
    )
    text: list[str] = []

    def finish(folder: Path) -> list[Path]:
        from sim.analysis import plots
        from sim.analysis.compare import compare, format_rows, numeric_columns, rows_frame

        rows = load_outcomes(folder)
        frames = [rows[rows["point"] == p].reset_index(drop=True) for p in range(len(names))]
        results = compare(scenarios[0], frames, args.seed)
        pairs = list(zip(names[1:], results, strict=True))
        text.append("\n\n".join(format_rows([names[0], n], r) for n, r in pairs))
        table = pd.concat([rows_frame([names[0], n], r) for n, r in pairs])
        write_text(folder / "comparison.csv", table.to_csv(index=False))
        write_text(folder / "comparison.txt", text[0] + "\n")
        drawn = plots.comparison(frames, names, numeric_columns(scenarios[0], frames), scenarios[0], folder)
        return [folder / "comparison.csv", folder / "comparison.txt", *drawn]

    workers = min(_worker_count(args), args.runs)
    write(args, plan, out, engine(workers), f"local processes, {workers} workers", finish)
    print(text[0])
    print(f"\n{args.runs} runs per scenario, seed {args.seed}; results in {out}/")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from sim.experiments.results import check

    problems, line = check(args.results)
    for problem in problems:
        print(f"{args.results}: {problem}")
    print(line + ("" if problems else ": ok"))
    return 1 if problems else 0


def cmd_ablate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.analysis.ablation import ablate
    from sim.experiments.results import default_folder

    overrides = _overrides(args.set)
    base = load_scenario(args.scenario, overrides)
    out = Path(args.out or default_folder(f"ablate-{base.name}", overrides, args.seed))
    text = ablate(
        base,
        args.scenario,
        args.runs,
        args.seed,
        out,
        _worker_count(args),
        lambda items: tqdm(list(items), unit="variant", disable=args.quiet, file=sys.stderr),
    )
    print(text)
    print(f"\n{args.runs} paired runs per mechanism, seed {args.seed}; table in {out}/ablation.csv")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.analysis.score import score
    from sim.experiments.results import default_folder

    overrides = _overrides(args.set)
    posterior = _posterior(args)
    name = _results_name(f"score-seed{args.seed}-{args.runs}", posterior)
    out = Path(args.out or default_folder(name, overrides, 1))
    result = score(
        args.scenarios,
        args.runs,
        args.seed,
        out,
        _worker_count(args),
        lambda items: tqdm(items, unit="crisis", disable=args.quiet, file=sys.stderr),
        posterior,
        overrides,
    )
    print(result.text)
    print(f"\n{args.runs} runs per crisis, seed {args.seed}; results in {out}/")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from sim.analysis import plots
    from sim.analysis.sensitivity import load_sweep, pick_outcomes
    from sim.experiments.results import load_series
    from sim.model.parties import belligerents

    exp, scenario, frame = load_sweep(args.results)
    params = list(exp.parameters)
    outcomes = pick_outcomes(frame, args.outcome)
    pick_outcomes(frame, [args.heatmap])  # a clear error for a misspelt --heatmap
    x, y = args.x or params[0], args.y or params[min(1, len(params) - 1)]
    for key in (x, y):
        if key not in params:
            raise ScenarioError(f"--x/--y {key}: not a parameter of this experiment ({', '.join(params)})")
    folder = Path(args.results) / "plots"
    folder.mkdir(exist_ok=True)
    paths = plots.sweep_distributions(frame, params, outcomes, scenario, folder)
    if x != y:
        paths += plots.heatmap(frame, x, y, args.heatmap, scenario, folder)
    series = load_series(args.results)
    if not series.empty:
        paths += plots.sweep_fans(series, frame, scenario, belligerents(scenario), folder)
    print(f"{len(paths)} files in {folder}/")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from sim.analysis import plots
    from sim.analysis.sensitivity import format_indices, indices, load_sweep, pick_outcomes

    exp, scenario, frame = load_sweep(args.results)
    table = indices(exp, scenario, frame, pick_outcomes(frame, args.outcome))
    folder = Path(args.results)
    table.to_csv(folder / "sensitivity.csv", index=False)
    (folder / "plots").mkdir(exist_ok=True)
    plots.sensitivity_bars(table, scenario, folder / "plots")
    print(format_indices(table))
    print(f"\nindices in {folder / 'sensitivity.csv'}, chart in {folder / 'plots'}/sensitivity.png")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from sim.scenario.schema import reference_markdown

    print(reference_markdown(), end="")
    return 0


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="escsim", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    def outcome_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--outcome",
            action="append",
            default=None,
            help="outcome column (repeatable; default: the main outcomes)",
        )

    def overwrite_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--overwrite",
            action="store_true",
            help="replace the results already in --out (only the files its manifest lists)",
        )

    def posterior_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--posterior",
            metavar="DIR",
            default=None,
            help="folder of `escsim calibrate`: each run draws its calibrated parameters from the posterior",
        )

    def scenario_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("scenario", help="scenario file (TOML)")
        sp.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY.PATH=VALUE",
            help="override a scenario value, e.g. mediators.USA.arrival_hour=24 (repeatable)",
        )

    r = sub.add_parser("run", help="run an ensemble; print and save its summary and plots")
    scenario_args(r)
    r.add_argument("--runs", type=_runs, default=200, help="number of runs (default 200)")
    r.add_argument("--seed", type=_seed, default=1, help="ensemble seed (default 1)")
    r.add_argument(
        "--workers",
        type=_workers,
        default=None,
        help="local worker processes (default: all cores)",
    )
    r.add_argument(
        "--out", default=None, help="results folder (default results/<name>[+<key>=<value>...][+seed=<S>])"
    )
    overwrite_arg(r)
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    posterior_arg(r)
    r.set_defaults(func=cmd_run)

    v = sub.add_parser("validate", help="check a scenario file against the schema")
    scenario_args(v)
    v.set_defaults(func=cmd_validate)

    n = sub.add_parser("narrate", help="the event log of one run as a timeline")
    scenario_args(n)
    n.add_argument("--seed", type=_seed, default=1, help="run seed (default 1)")
    n.add_argument("--sources", action="store_true", help="under each line, where the fact comes from")
    n.add_argument(
        "--figure", metavar="PNG", default=None, help="also draw the run's ladder and events on a timeline"
    )
    posterior_arg(n)
    n.set_defaults(func=cmd_narrate)

    a = sub.add_parser("app", help="the classroom page in a browser (SolaraViz), on this computer")
    a.add_argument("scenario", nargs="?", default="scenarios/sept2022.toml", help="starting scenario file")
    a.add_argument("--port", type=_whole(1, 65535, "a port"), default=8765, help="port (default 8765)")
    a.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this computer only; 0.0.0.0 shares it on the network)",
    )
    a.set_defaults(func=cmd_app, interrupted="the page is closed")

    w = sub.add_parser("sweep", help="run (or resume) an experiment's design into a results folder")
    w.add_argument("experiment", help="experiment file (TOML)")
    where = w.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=_workers, default=None, help="local worker processes (default: all cores)"
    )
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://host:8786"
    )
    where.add_argument(
        "--dask-local",
        type=_workers,
        metavar="N",
        help="start a Dask LocalCluster with N single-threaded workers",
    )
    w.add_argument("--out", default=None, help="results folder (default results/<experiment name>)")
    overwrite_arg(w)
    w.add_argument("--quiet", action="store_true", help="no progress bar")
    posterior_arg(w)
    w.set_defaults(func=cmd_sweep)

    c = sub.add_parser("compare", help="run scenarios with the same seeds and compare outcomes")
    c.add_argument("scenarios", nargs="+", help="baseline scenario first, then what-ifs")
    c.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override applied to every scenario (repeatable)",
    )
    c.add_argument("--runs", type=_runs, default=500, help="runs per scenario (default 500)")
    c.add_argument("--seed", type=_seed, default=1, help="ensemble seed (default 1)")
    c.add_argument("--workers", type=_workers, default=None, help="local worker processes")
    c.add_argument(
        "--out",
        default=None,
        help="results folder (default results/compare-<A>-vs-<B>...[+<key>=<value>...])",
    )
    overwrite_arg(c)
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    posterior_arg(c)
    c.set_defaults(func=cmd_compare)

    ca = sub.add_parser("calibrate", help="ABC-SMC calibration (pyabc) of a calibration file; resumable")
    ca.add_argument("file", help="calibration file (TOML), e.g. calibration/crises.toml")
    where = ca.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_workers, default=None, help="local worker processes")
    where.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler")
    where.add_argument("--dask-local", type=_workers, metavar="N", help="a Dask LocalCluster of N workers")
    ca.add_argument(
        "--out", default=None, help="folder (default results/calibration-<name>[-without-<crisis>])"
    )
    loco = ca.add_mutually_exclusive_group()
    loco.add_argument(
        "--leave-out",
        metavar="CRISIS",
        default=None,
        help="fit on every other crisis; `all`: each in turn, then the out-of-sample coverage table",
    )
    loco.add_argument(
        "--leave-each-out",
        action="store_true",
        help="every leave-one-crisis-out fit; prints the out-of-sample coverage table",
    )
    ca.add_argument(
        "--max-minutes",
        type=float,
        default=None,
        help="wall-clock budget of this session (per fit), instead of the file's stop.max_minutes",
    )
    ca.set_defaults(
        func=cmd_calibrate,
        interrupted="finished generations are in history.db; run the same command again to resume",
    )

    ab = sub.add_parser("ablate", help="each mechanism off against all on, paired by seed")
    scenario_args(ab)
    ab.add_argument("--runs", type=_runs, default=200, help="runs per variant (default 200)")
    ab.add_argument("--seed", type=_seed, default=1, help="ensemble seed (default 1)")
    ab.add_argument("--workers", type=_workers, default=None, help="local worker processes")
    ab.add_argument(
        "--out", default=None, help="folder for the table (default results/ablate-<name>-seed<S>-<runs>)"
    )
    ab.add_argument("--quiet", action="store_true", help="no progress bar")
    ab.set_defaults(func=cmd_ablate)

    sc = sub.add_parser(
        "score", help="score scenarios' ensembles against their [observed] tables (always exits 0)"
    )
    sc.add_argument("scenarios", nargs="+", help="scenario files with an [observed] table")
    sc.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override a value in every scenario, e.g. combat.static_exposure=0.05 (repeatable)",
    )
    sc.add_argument("--runs", type=_runs, default=200, help="runs per scenario (default 200)")
    sc.add_argument("--seed", type=_seed, default=1, help="ensemble seed (default 1)")
    sc.add_argument("--workers", type=_workers, default=None, help="local worker processes")
    sc.add_argument("--out", default=None, help="results folder (default results/score-seed<S>-<runs>)")
    sc.add_argument("--quiet", action="store_true", help="no progress bar")
    posterior_arg(sc)
    sc.set_defaults(func=cmd_score)

    pl = sub.add_parser("plot", help="plots of a sweep's results folder")
    pl.add_argument("results", type=_folder, help="results folder written by `escsim sweep`")
    outcome_arg(pl)
    pl.add_argument(
        "--heatmap",
        default="fighting_hours",
        help="outcome for the two-parameter heatmap (default fighting_hours; "
        "a yes/no outcome such as full_war shows its probability)",
    )
    pl.add_argument("--x", default=None, help="heatmap x parameter (default: the first)")
    pl.add_argument("--y", default=None, help="heatmap y parameter (default: the second)")
    pl.set_defaults(func=cmd_plot)

    ck = sub.add_parser("check", help="verify a results folder: shards, run ids, counts (exit 1 if wrong)")
    ck.add_argument("results", type=_folder, help="results folder written by run, sweep or compare")
    ck.set_defaults(func=cmd_check)

    se = sub.add_parser("sensitivity", help="Sobol' or Morris indices of a sweep (SALib)")
    se.add_argument("results", type=_folder, help="results folder of a saltelli or morris experiment")
    outcome_arg(se)
    se.set_defaults(func=cmd_sensitivity)

    sub.add_parser("schema", help="print the scenario parameter reference (Markdown)").set_defaults(
        func=cmd_schema
    )
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # usage errors and --help: a code to return, as for every other outcome
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM cleans up as Ctrl-C does
    with warnings.catch_warnings():
        warnings.simplefilter("always", ScenarioWarning)
        warnings.showwarning = _warn_once(set())
        return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        return args.func(args)
    except ScenarioError as exc:
        print(f"escsim: error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", EXIT_USAGE)
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"escsim: interrupted; {getattr(args, 'interrupted', 'nothing was written')}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
