"""What every ``zhuqi`` command shares: the Typer app, the consoles, exit codes, common
options, the error guard and the scenario loader. The commands live in :mod:`zhuqi.cli`
and the ``cli_*`` modules, which import from here (never from one another's module)."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from assign import ScenarioError, ScenarioWarning, load_scenario, parse_overrides

app = typer.Typer(
    name="zhuqi",
    help="Plan programmes that station cadres in private firms: pair cadres with firms, "
    "and simulate how many are needed.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

EXIT_OK, EXIT_NO_PLAN, EXIT_INVALID = 0, 1, 2

Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors and log solver progress.")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario key, e.g. assignment.max_distance_km=30."),
]
PathArg = Annotated[Path, typer.Argument(help="Scenario folder or its scenario.yaml.")]


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    err.print(f"[yellow]warning:[/yellow] {message}", highlight=False)


def run_guarded(debug: bool, body: Callable[[], int]) -> None:
    """Run a command body, turning input errors into exit code 2 with a clear message."""
    warnings.showwarning = _show_warning
    warnings.simplefilter("default", ScenarioWarning)
    if debug:  # the solvers' progress (e.g. pricing rounds at province scale) on stderr
        from rich.logging import RichHandler

        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s",
                            handlers=[RichHandler(console=err, show_path=False)])
    try:
        code = body()
    except ScenarioError as exc:
        if debug:
            raise
        err.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        raise typer.Exit(EXIT_INVALID) from None
    except (ValueError, FileNotFoundError, OverflowError) as exc:
        if debug:
            raise
        err.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        err.print("[dim]hint: run with --debug for the traceback[/dim]")
        raise typer.Exit(EXIT_INVALID) from None
    raise typer.Exit(code)


@contextlib.contextmanager
def busy(message: str) -> Iterator[None]:
    """A Rich spinner on stderr while a step runs (shown after a second)."""
    with err.status(message, spinner="dots"):
        yield


def _load(path: Path, sets: list[str] | None) -> Any:
    return load_scenario(path, parse_overrides(sets or []))


def print_json_out(data: Any) -> None:
    """``--json`` in every command: the results as JSON on standard output (tables, which
    would mix with it, are left out)."""
    import json

    def plain(o: Any) -> Any:
        return o.item() if hasattr(o, "item") else str(o)

    out.print_json(json.dumps(data, ensure_ascii=False, default=plain))
