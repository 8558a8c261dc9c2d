"""Benchmark: how quickly the classroom page answers, in a headless browser (Debian's chromium).

    python experiments/bench_app.py [--repeats 3] [--scenario scenarios/sept2022.toml]

Starts ``escsim app``'s server on a free port of 127.0.0.1 and, in a fresh browser session each
repeat, measures (a) **page load**: from opening the address to the map and the ladder drawn and the
controls ready; (b) **one day**: from a click on "+1 day" to the page showing hour 24 with the map,
ladder, narrative and charts redrawn. Prints the median and range of each against the 2 s target,
and the model's own share of a day (24 steps, no drawing) for scale.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sim.model.escalation import EscalationModel
from sim.viz.server import server_command, server_env

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None:
                sys.exit("the page server stopped")
            time.sleep(0.3)
    sys.exit(f"the page server did not answer within {timeout:.0f} s")


def measure(browser, url: str) -> tuple[float, float]:
    context = browser.new_context(viewport={"width": 1500, "height": 1800})
    page = context.new_page()
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("text=+1 day")
    page.wait_for_function("document.querySelectorAll('img').length >= 2")
    load = time.perf_counter() - t0
    before = page.locator("img").first.get_attribute("src")
    t0 = time.perf_counter()
    page.get_by_role("button", name="+1 day").click()
    page.wait_for_selector("text=hour 24 of")
    page.wait_for_function(
        "src => document.querySelector('img') && document.querySelector('img').src !== src", arg=before
    )
    day = time.perf_counter() - t0
    context.close()
    return load, day


def model_day(scenario: Path) -> float:
    model = EscalationModel(scenario, rng=1)
    t0 = time.perf_counter()
    for _ in range(24):
        model.step()
    return time.perf_counter() - t0


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):5.2f} s ({min(values):.2f}–{max(values):.2f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "sept2022.toml")
    args = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("no chromium: install Debian's `chromium` (scripts/browser.sh does, as root)")
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen(
        server_command("127.0.0.1", port), env=server_env(args.scenario), stderr=subprocess.DEVNULL
    )
    try:
        wait_for(url, proc)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            measure(browser, url)  # warm-up: imports and first drawing in the server
            loads, days = zip(*(measure(browser, url) for _ in range(args.repeats)), strict=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    steps = [model_day(args.scenario) for _ in range(args.repeats)]
    print(f"classroom page, {args.repeats} fresh sessions: median (range); target < {TARGET_S:.0f} s each")
    for label, values in (("page load", loads), ("one day (+1 day, redrawn)", days)):
        verdict = "ok" if statistics.median(values) < TARGET_S else "over the target"
        print(f"{label:<26}{spread(list(values))}   {verdict}")
    print(f"  of which the model's 24 steps {spread(steps)}")


if __name__ == "__main__":
    main()
