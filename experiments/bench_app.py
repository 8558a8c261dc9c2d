"""Benchmark: how quickly the classroom page answers, in a headless browser (Debian's chromium).

    python experiments/bench_app.py [--repeats 3] [--scenario scenarios/sept2022.toml]

Starts ``escsim app``'s server on a free port of 127.0.0.1 and, in a fresh browser session each
repeat, measures (a) **page load**: from opening the address to the map and the ladder drawn and the
controls ready; (b) **one day**: from a click on "+1 day" to the page showing hour 24 with the map,
ladder and narrative redrawn. Prints the median and range of each against the 2 s target, the
server's CPU time for each (from /proc, where there is one: the browser shares the machine, so
wall time depends on what else runs), the machine's load average and cores, and the model's own
share of a day (24 steps, no drawing) for scale; and, as the floor, the load time of the least Solara
page with a button and the same two images (experiments/floor_page.py), measured alike.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sim.model.escalation import EscalationModel
from sim.viz.server import PAGE, server_command, server_env

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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def images(page) -> list[str | None]:
    return [page.locator(f"img.{name}").get_attribute("src") for name in ("map", "ladder")]


def open_page(browser, url: str, server: int):
    """A fresh session: (context, page, load wall, load server CPU)."""
    context = browser.new_context(viewport={"width": 1500, "height": 1800})
    page = context.new_page()
    cpu, t0 = cpu_seconds(server), time.perf_counter()
    page.goto(url)
    page.wait_for_selector("text=+1 day")
    page.wait_for_selector("img.map")
    page.wait_for_selector("img.ladder")
    return context, page, time.perf_counter() - t0, cpu_seconds(server) - cpu


def measure(browser, url: str, server: int) -> tuple[float, float, float, float]:
    """(load wall, load server CPU, day wall, day server CPU) of one fresh session."""
    context, page, load, load_cpu = open_page(browser, url, server)
    before = images(page)
    cpu, t0 = cpu_seconds(server), time.perf_counter()
    page.get_by_role("button", name="+1 day").click()
    page.wait_for_selector("text=hour 24 of")
    page.wait_for_function(
        "before => ['map', 'ladder'].every((c, i) => document.querySelector('img.' + c).src !== before[i])",
        arg=before,
    )
    day, day_cpu = time.perf_counter() - t0, cpu_seconds(server) - cpu
    context.close()
    return load, load_cpu, day, day_cpu


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

    port, floor_port = free_port(), free_port()
    url, floor_url = f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{floor_port}/"
    floor_command = [
        str(ROOT / "experiments" / "floor_page.py") if a == PAGE else a
        for a in server_command("127.0.0.1", floor_port)
    ]
    procs = [
        subprocess.Popen(command, env=server_env(args.scenario), stderr=subprocess.DEVNULL)
        for command in (server_command("127.0.0.1", port), floor_command)
    ]
    load_before = os.getloadavg()[0]
    try:
        wait_for(url, procs[0])
        wait_for(floor_url, procs[1])
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            measure(browser, url, procs[0].pid)  # warm-up: imports and first drawing in the server
            open_page(browser, floor_url, procs[1].pid)[0].close()
            runs, floor = [], []
            for _ in range(args.repeats):  # interleaved: both see the same load
                runs.append(measure(browser, url, procs[0].pid))
                context, _, load, _ = open_page(browser, floor_url, procs[1].pid)
                context.close()
                floor.append(load)
            browser.close()
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=20)
    steps = [model_day(args.scenario) for _ in range(args.repeats)]
    loads, load_cpu, days, day_cpu = (list(v) for v in zip(*runs, strict=True))
    print(f"classroom page, {args.repeats} fresh sessions: median (range); target < {TARGET_S:.0f} s each")
    print(
        f"machine: {os.cpu_count()} cores, load average {load_before:.1f} before and "
        f"{os.getloadavg()[0]:.1f} after (the browser and the server share it)"
    )
    for label, values, cpu in (("page load", loads, load_cpu), ("one day (+1 day, redrawn)", days, day_cpu)):
        verdict = "ok" if statistics.median(values) < TARGET_S else "over the target"
        print(f"{label:<26}{spread(values)}   {verdict}; server CPU {spread(cpu)}")
    print(f"  of which the model's 24 steps {spread(steps)}")
    print(f"floor: the least Solara page (a button, two images) loads in {spread(floor)}")


if __name__ == "__main__":
    main()
