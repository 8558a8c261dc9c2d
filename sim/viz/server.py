"""Serving the classroom page: Solara's server on one address, offline, without telemetry."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sim.viz.app import ENV

PAGE = "sim.viz.app:Page"


def server_command(host: str, port: int) -> list[str]:
    """Solara's server in production mode; no version check (it would ask the internet)."""
    return [
        sys.executable, "-m", "solara", "run", PAGE, "--host", host, "--port", str(port),
        "--production", "--no-open", "--no-check-version", "--log-level", "warning",
    ]  # fmt: skip


def server_env(scenario: Path) -> dict[str, str]:
    return {
        **os.environ,
        ENV: str(scenario.resolve()),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # no usage reports to the internet
    }


def banner(host: str, port: int) -> str:
    where = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    lines = [f"escsim app: open {where} in a browser (Ctrl-C stops it)."]
    if host in ("127.0.0.1", "localhost", "::1"):
        lines.append(
            "Only this computer can open it. To share it with a classroom, run "
            f"`escsim app --host 0.0.0.0 --port {port}` and give students http://ADDRESS:{port}/ "
            "(ADDRESS: this computer's address on the classroom network, e.g. from `hostname -I`)."
        )
    else:
        lines.append(f"Listening on {host}: anyone who can reach this computer on port {port} can open it.")
    return "\n".join(lines)


def serve(scenario: Path, host: str, port: int) -> None:
    """Become Solara's server (exec): Ctrl-C and signals reach it directly, no process is left over."""
    print(banner(host, port), flush=True)
    command = server_command(host, port)
    os.execve(command[0], command, server_env(scenario))
