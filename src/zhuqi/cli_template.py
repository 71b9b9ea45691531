"""``zhuqi template``: a blank scenario with headed Excel rosters."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assign.io.template import write_template

from .options import EXIT_OK, Debug, app, out, run_guarded


@app.command()
def template(
    folder: Annotated[Path, typer.Argument(help="Folder to write the blank scenario into.")],
    lang: Annotated[str, typer.Option(help="zh: Chinese headers and notes; en: English.")] = "zh",
    force: Annotated[bool, typer.Option(help="Replace files that exist.")] = False,
    debug: Debug = False,
) -> None:
    """Write a blank scenario: cadres.xlsx and firms.xlsx with headers and a 填写说明 sheet.

    Example: zhuqi template 我县驻企 --lang zh
    """

    def body() -> int:
        for path in write_template(folder, lang, force):
            out.print(f"wrote {path}")
        return EXIT_OK

    run_guarded(debug, body)
