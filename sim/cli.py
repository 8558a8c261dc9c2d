"""``escsim``: run an ensemble, validate a scenario, narrate one run, print the schema.

Errors in what the user gave (a scenario, an override, a folder) print one paragraph naming the
file, key and expectation, and exit with code 2; no traceback, nothing half-written.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

from sim.scenario.loading import ScenarioError, ScenarioWarning, load_scenario, parse_override

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


def cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.analysis.plots import ensemble_plots
    from sim.analysis.summary import format_summary
    from sim.experiments.runner import simulate_ensemble
    from sim.experiments.storage import atomic_folder, manifest, now, write_json, write_tables

    overrides = _overrides(args.set)
    scenario = load_scenario(args.scenario, overrides)
    out = Path(args.out or f"results/{scenario.name}-seed{args.seed}-{args.runs}")
    if out.exists() and not out.is_dir():
        raise ScenarioError(f"--out {out}: exists and is not a folder")
    workers = args.workers or os.cpu_count() or 1
    started, t0 = now(), time.perf_counter()
    with tqdm(total=args.runs, unit="run", desc=scenario.name, disable=args.quiet, file=sys.stderr) as bar:
        ensemble = simulate_ensemble(scenario, args.runs, args.seed, workers, overrides, progress=bar.update)
    wall = time.perf_counter() - t0
    summary = format_summary(scenario, ensemble.outcomes, ensemble.series)
    with atomic_folder(out) as tmp:
        write_tables(tmp, ensemble.outcomes, ensemble.series)
        ensemble_plots(scenario, ensemble.outcomes, ensemble.series, tmp / "plots")
        (tmp / "summary.txt").write_text(summary + "\n", encoding="utf-8")
        write_json(
            tmp / "manifest.json",
            manifest(scenario, str(args.scenario), overrides, args.seed, args.runs, workers, started),
        )
    print(summary)
    print(
        f"{args.runs} runs in {wall:.1f} s on {workers} worker(s) "
        f"({args.runs / wall:.0f} runs/s); results in {out}/"
    )
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, _overrides(args.set))
    counts = (
        f"{len(scenario.states)} states, {len(scenario.alliances)} alliances, "
        f"{len(scenario.mediators)} mediators, {len(scenario.sectors)} sectors, "
        f"{len(scenario.events)} events, horizon {scenario.horizon_hours} h"
    )
    print(f"{args.scenario}: valid ({counts})")
    return 0


def cmd_narrate(args: argparse.Namespace) -> int:
    from sim.analysis.narrate import timeline
    from sim.experiments.runner import run

    scenario = load_scenario(args.scenario, _overrides(args.set))
    if args.figure and Path(args.figure).exists():
        raise ScenarioError(
            f"--figure {args.figure}: the file exists; give a new name (nothing is overwritten)"
        )
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
    from concurrent.futures.process import BrokenProcessPool

    from tqdm import tqdm

    from sim.experiments.design import load_experiment
    from sim.experiments.engines import engine
    from sim.experiments.sweep import sweep

    exp, _, _ = load_experiment(args.experiment)  # fail fast, before any worker starts
    out = Path(args.out or f"results/{exp.name}")
    if args.scheduler:
        name = f"dask scheduler {args.scheduler}"
    elif args.dask_local:
        name = f"dask LocalCluster, {args.dask_local} workers"
    else:
        name = f"local processes, {args.workers or os.cpu_count()} workers"
    try:
        eng = engine(args.workers or os.cpu_count() or 1, args.scheduler, args.dask_local)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ScenarioError(
            f"--scheduler {args.scheduler}: cannot reach the Dask scheduler ({exc}); "
            "expected an address such as tcp://host:8786"
        ) from None
    bars: list = []

    def progress(total: int, done: int):
        bars.append(
            tqdm(
                total=total,
                initial=done,
                unit="run",
                desc=exp.name,
                disable=args.quiet,
                file=sys.stderr,
                smoothing=0.1,
            )
        )
        return bars[0].update

    def note(text: str) -> None:
        print(f"escsim: note: {text}", file=sys.stderr)

    try:
        report = sweep(args.experiment, out, eng, name, progress, note)
    except BrokenProcessPool as exc:
        print(
            f"escsim: error: a worker process died ({exc}); the runs finished before it are in "
            f"{out}/: run the same command again to resume",
            file=sys.stderr,
        )
        return 1
    finally:
        for bar in bars:
            bar.close()
        eng.close()
    print(f"{report.line()}; results in {out}/")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.analysis import plots
    from sim.analysis.compare import compare, format_rows, numeric_columns, rows_frame
    from sim.analysis.outcomes import write_parquet
    from sim.experiments.runner import run_ensemble
    from sim.experiments.storage import atomic_folder

    if len(args.scenarios) < 2:
        raise ScenarioError("compare needs a baseline scenario and at least one what-if after it")
    overrides = _overrides(args.set)
    scenarios = [load_scenario(path, overrides) for path in args.scenarios]  # all valid first
    for path, scenario in zip(args.scenarios[1:], scenarios[1:], strict=True):
        for what in ("states", "alliances"):
            ids, base_ids = sorted(getattr(scenario, what)), sorted(getattr(scenarios[0], what))
            if ids != base_ids:
                raise ScenarioError(
                    f"{path}: key `{what}` has {', '.join(ids) or 'none'}; a what-if must keep the "
                    f"baseline's ({', '.join(base_ids) or 'none'}) for runs to be paired outcome by outcome"
                )
    names = [s.name for s in scenarios]
    if len(set(names)) < len(names):
        names = [Path(p).stem for p in args.scenarios]
    workers = args.workers or os.cpu_count() or 1
    frames = []
    for scenario in tqdm(scenarios, unit="scenario", disable=args.quiet, file=sys.stderr):
        frames.append(run_ensemble(scenario, args.runs, args.seed, workers, overrides))
    base = scenarios[0]
    results = compare(base, frames, args.seed)
    text = "\n\n".join(format_rows([names[0], n], rows) for n, rows in zip(names[1:], results, strict=True))
    out = Path(args.out or f"results/compare-{'-vs-'.join(names)}-seed{args.seed}-{args.runs}")
    with atomic_folder(out) as tmp:
        for name, frame in zip(names, frames, strict=True):
            write_parquet(frame, tmp / f"outcomes-{name}.parquet")
        pd.concat(
            [rows_frame([names[0], n], rows) for n, rows in zip(names[1:], results, strict=True)]
        ).to_csv(tmp / "comparison.csv", index=False)
        (tmp / "comparison.txt").write_text(text + "\n", encoding="utf-8")
        plots.comparison(frames, names, numeric_columns(base, frames), base, tmp)
    print(text)
    print(f"\n{args.runs} runs per scenario, seed {args.seed}; results in {out}/")
    return 0


def cmd_ablate(args: argparse.Namespace) -> int:
    from sim.analysis import ablation
    from sim.experiments.runner import run_ensemble

    base = load_scenario(args.scenario, _overrides(args.set))
    workers = args.workers or os.cpu_count() or 1
    frames = {"baseline": run_ensemble(base, args.runs, args.seed, workers)}
    for name, scenario in ablation.variants(base).items():
        frames[name] = run_ensemble(scenario, args.runs, args.seed, workers)
    base_frame = frames.pop("baseline")
    print(ablation.markdown(ablation.table(base, base_frame, frames, args.seed)))
    print(f"\n{args.runs} paired runs per mechanism, seed {args.seed}")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.analysis.score import score

    out = Path(args.out or f"results/score-seed{args.seed}-{args.runs}")
    result = score(
        args.scenarios,
        args.runs,
        args.seed,
        out,
        args.workers or os.cpu_count() or 1,
        lambda items: tqdm(items, unit="crisis", disable=args.quiet, file=sys.stderr),
    )
    print(result.text)
    print(f"\n{args.runs} runs per crisis, seed {args.seed}; results in {out}/")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from sim.analysis import plots
    from sim.analysis.sensitivity import load_sweep, pick_outcomes

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
    series_dir = Path(args.results) / "series"
    if series_dir.is_dir():
        fighters = [
            s for s, spec in scenario.states.items() if spec.adversary is not None and spec.war_aim != "none"
        ]
        paths += plots.sweep_fans(pd.read_parquet(series_dir), frame, scenario, fighters, folder)
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
    r.add_argument("--out", default=None, help="results folder (default results/<name>-seed<S>-<runs>)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
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
    w.add_argument("--quiet", action="store_true", help="no progress bar")
    w.set_defaults(
        func=cmd_sweep,
        interrupted="finished runs are on disk; run the same command again to resume",
    )

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
    c.add_argument("--out", default=None, help="results folder")
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    c.set_defaults(func=cmd_compare)

    ab = sub.add_parser("ablate", help="each mechanism off against all on, paired by seed")
    scenario_args(ab)
    ab.add_argument("--runs", type=_runs, default=200, help="runs per variant (default 200)")
    ab.add_argument("--seed", type=_seed, default=1, help="ensemble seed (default 1)")
    ab.add_argument("--workers", type=_workers, default=None, help="local worker processes")
    ab.set_defaults(func=cmd_ablate)

    sc = sub.add_parser(
        "score", help="score scenarios' ensembles against their [observed] tables (always exits 0)"
    )
    sc.add_argument("scenarios", nargs="+", help="scenario files with an [observed] table")
    sc.add_argument("--runs", type=_runs, default=200, help="runs per scenario (default 200)")
    sc.add_argument("--seed", type=_seed, default=1, help="ensemble seed (default 1)")
    sc.add_argument("--workers", type=_workers, default=None, help="local worker processes")
    sc.add_argument("--out", default=None, help="results folder (default results/score-seed<S>-<runs>)")
    sc.add_argument("--quiet", action="store_true", help="no progress bar")
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
    with warnings.catch_warnings():
        warnings.simplefilter("always", ScenarioWarning)
        warnings.showwarning = _warn_once(set())
        return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        return args.func(args)
    except ScenarioError as exc:
        print(f"escsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"escsim: interrupted; {getattr(args, 'interrupted', 'nothing was written')}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
