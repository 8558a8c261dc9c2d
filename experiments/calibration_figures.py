"""The README's calibration figures and tables, in one command (each step resumes where it stopped).

1. the library calibration: `escsim calibrate calibration/crises.toml` -> results/calibration-crises/
2. leave-one-crisis-out: `escsim calibrate calibration/loco.toml --leave-out all` -> results/calibration-loco/
3. a what-if under the library posterior: `escsim compare sept2022 no_us_envoy --posterior ...`
4. copies what the README shows into docs/figures/calibration/: the posterior plot, the credible-
   interval and predictive-check tables, the convergence verdict, the out-of-sample coverage table
   and the comparison.

    .venv/bin/python experiments/calibration_figures.py [--workers 2] [--max-minutes M] [--only STEP…]
        [--fresh]

Run it again after an interruption (or with a larger --max-minutes): calibrations continue from their
last complete generation, the comparison from its last finished runs.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results"
FIGURES = ROOT / "docs" / "figures" / "calibration"
LIBRARY = RESULTS / "calibration-crises"
LOCO = RESULTS / "calibration-loco"
COMPARE = RESULTS / "compare-sept2022-vs-no_us_envoy-posterior-crises"


def escsim(*args: str) -> None:
    exe = Path(sys.executable).with_name("escsim")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "sim.cli"]
    print("$ escsim " + " ".join(args), flush=True)
    subprocess.run([*cmd, *args], check=True, cwd=ROOT)


def copy(source: Path, name: str) -> None:
    if source.is_file():
        FIGURES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, FIGURES / name)
        print(f"  -> {(FIGURES / name).relative_to(ROOT)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", default="2")
    ap.add_argument("--max-minutes", default=None, help="per calibration (default: the files' budgets)")
    ap.add_argument("--runs", default="100", help="runs per scenario of the comparison")
    ap.add_argument("--only", nargs="*", choices=["library", "loco", "compare"], default=None)
    ap.add_argument(
        "--fresh",
        action="store_true",
        help="delete the three results folders first (after the model changed, they are refused, "
        "not resumed)",
    )
    args = ap.parse_args()
    steps = args.only or ["library", "loco", "compare"]
    if args.fresh:
        for folder, step in ((LIBRARY, "library"), (LOCO, "loco"), (COMPARE, "compare")):
            if step in steps or step == "compare":  # a comparison drew from the old posterior
                shutil.rmtree(folder, ignore_errors=True)
    budget = ["--max-minutes", args.max_minutes] if args.max_minutes else []
    if "library" in steps:
        escsim("calibrate", "calibration/crises.toml", "--workers", args.workers, *budget)
    if "loco" in steps:
        escsim("calibrate", "calibration/loco.toml", "--leave-out", "all", "--workers", args.workers, *budget)
    if "compare" in steps:
        escsim(
            "compare",
            "scenarios/sept2022.toml",
            "scenarios/whatif/no_us_envoy.toml",
            "--runs",
            args.runs,
            "--workers",
            args.workers,
            "--quiet",
            "--posterior",
            str(LIBRARY.relative_to(ROOT)),
            "--out",
            str(COMPARE.relative_to(ROOT)),
        )
    for name in ("posterior.png", "credible.csv", "ppc.csv", "report.txt"):
        copy(LIBRARY / "posterior" / name, f"library-{name}")
    copy(LIBRARY / "convergence.json", "library-convergence.json")
    copy(LOCO / "loco.md", "loco.md")
    copy(LOCO / "loco.csv", "loco.csv")
    copy(COMPARE / "comparison.txt", "compare-posterior.txt")
    copy(COMPARE / "comparison.png", "compare-posterior.png")


if __name__ == "__main__":
    main()
