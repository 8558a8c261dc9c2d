"""``escsim calibrate``: one calibration (optionally without one crisis), or every leave-one-crisis-out."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sim.calibration.config import Calibration
from sim.calibration.fit import calibrate
from sim.calibration.report import format_table, write_report
from sim.experiments.engines import Engine
from sim.experiments.storage import atomic_file


def flushed(line: str) -> None:
    """Print a line at once, also when stdout is a file (a long calibration's log)."""
    print(line, flush=True)


def default_out(cal: Calibration, leave_out: str | None) -> Path:
    return Path(f"results/calibration-{cal.name}" + (f"-without-{leave_out}" if leave_out else ""))


def one(
    cal: Calibration, out: Path, eng: Engine, leave_out: str | None, say: Callable[[str], None] = flushed
) -> pd.DataFrame:
    """Calibrate (or resume), write the report, print it; return the predictive check."""
    fit_on, held = cal.split(leave_out) if leave_out else (cal, None)
    history = calibrate(fit_on, out, eng, say)
    if history.max_t < 0:
        say(f"no generation finished yet: nothing to report; run the same command again to resume ({out}/)")
        return pd.DataFrame(columns=["covered"])
    table, ppc = write_report(fit_on, history, out, eng, held)
    stays = table.loc[table.verdict != "identified", "parameter"].tolist()
    say("\n" + format_table(table))
    say(
        "parameters that stay at their prior (the observations do not identify them): "
        + (", ".join(stays) if stays else "none")
    )
    what = f"out-of-sample check of {leave_out}" if leave_out else "posterior predictive check"
    say(
        f"\n{what} ({ppc.covered.mean():.0%} of observables inside their 90 % interval):\n{format_table(ppc)}"
    )
    say(f"\nresults in {out}/ (history.db, posterior/)")
    return ppc


def leave_each_out(
    cal: Calibration, out: Path, eng: Engine, say: Callable[[str], None] = flushed
) -> pd.DataFrame:
    """Every leave-one-crisis-out calibration into ``out/without-<crisis>/``; the coverage table."""
    rows = []
    for crisis in cal.crises:
        say(f"\n== fitting without {crisis} ==")
        ppc = one(cal, out / f"without-{crisis}", eng, crisis, say)
        status = json.loads((out / f"without-{crisis}" / "convergence.json").read_text(encoding="utf-8"))
        rows.append(
            {
                "left_out": crisis,
                "observables": len(ppc),
                "inside_90%": int(ppc.covered.sum()),
                "coverage": float(ppc.covered.mean()) if len(ppc) else float("nan"),
                "generations": status["generations"],
                "simulations": status["simulations"],
                "converged": status["converged"],
            }
        )
    table = pd.DataFrame(rows)
    atomic_file(out / "loco.csv", lambda tmp: table.to_csv(tmp, index=False))
    text = (
        "out-of-sample coverage (each crisis predicted by a posterior fitted on the others):\n"
        + format_table(table)
        + f"\nall: {int(table['inside_90%'].sum())} of {int(table.observables.sum())} observables inside "
        "their 90 % predictive interval"
    )
    atomic_file(out / "loco.md", lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))
    say("\n" + text)
    return table
