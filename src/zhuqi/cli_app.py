"""``zhuqi app``: the planner's workbench (a Solara page, :mod:`zhuqi.workbench`)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from .options import Debug, app, err, run_guarded


@app.command("app")
def app_cmd(
    scenario: Annotated[Path | None, typer.Argument(
        help="Scenario folder to open at start (default: an empty page with the blank template).")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to bind (localhost by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8766,
    lang: Annotated[str, typer.Option(help="Page language: zh | en.")] = "zh",
    debug: Debug = False,
) -> None:
    """Serve the planner's workbench: rosters in, 求解, map, why, pins, 导出 Excel, staffing.

    Example: zhuqi app scenarios/quanzhou-2020 --port 8766
    """

    def body() -> int:
        import importlib.util
        import sys

        from assign import load_scenario

        if lang not in ("zh", "en"):
            raise ValueError(f"--lang must be zh or en, not '{lang}'")
        for module in ("solara", "ipyleaflet"):
            if importlib.util.find_spec(module) is None:
                raise ValueError(f"the workbench needs {module}: pip install 'zhuqi[viz]'")
        if scenario is not None:
            load_scenario(scenario)  # a broken scenario fails here, with its problems listed
        if host not in ("127.0.0.1", "localhost", "::1"):
            err.print(f"[yellow]warning:[/yellow] serving on {host}: reachable from other machines")
        root = Path(tempfile.mkdtemp(prefix="zhuqi-app-"))
        env = {**os.environ, "ZHUQI_APP_LANG": lang, "ZHUQI_APP_ROOT": str(root),
               "ZHUQI_APP_SCENARIO": str(scenario.resolve()) if scenario is not None else ""}
        err.print(f"workbench at http://{host}:{port} (Ctrl+C stops it)")
        cmd = [sys.executable, "-m", "solara", "run", "zhuqi.workbench.page", "--host", host,
               "--port", str(port), "--production", "--no-open"]
        from .children import run_child  # the server child that stops with this process

        try:
            return run_child(cmd, env)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    run_guarded(debug, body)
