"""MkDocs hooks: the pages generated from the code when the site is built.

- ``guide/tables.md``: every table zhuqi reads or writes, with English keys, Chinese
  headers, types, units and whether a column is required, from ``assign.io.table_reference()``
  when the package has it, else from the readers' column lists (``assign.io.scenario``,
  ``assign.rules``) and header aliases (``assign.io.tables.ALIASES``).
- ``reference/cli.md``: every ``zhuqi`` command with its arguments and options, read from
  the Typer application itself.
- ``notebooks/*.md``: the notebooks of ``notebooks/``, with the outputs of the test suite's
  run (``tests/test_notebooks.py`` leaves the executed copies in ``out/notebooks/``; a copy
  whose cells differ from the notebook is not used). ``ZHUQI_DOCS_NOTEBOOKS=execute`` runs
  them during the build instead (a few minutes), ``none`` shows no outputs.

Command outputs shown on the pages are not made here: ``docs/examples.py`` writes them to
``docs/snippets/`` and a test checks they are current.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the pages are built without MkDocs too (tests/test_docs_tables.py)
    from mkdocs.structure.files import Files

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------- tables

TABLE_TITLES = {
    "cadres": ("Cadres", "干部名单", "`cadres:` in scenario.yaml; one row per cadre."),
    "firms": ("Firms", "企业名单", "`firms:` in scenario.yaml; one row per firm."),
    "pairs": ("Pair table", "结对成本表",
              "`pairs:` in scenario.yaml (optional): only the pairs listed are admissible."),
    "pinned": ("Pinned pairs", "指定结对", "`assignment.pinned`: pairs every plan must hold."),
    "forbidden": ("Forbidden pairs", "禁止结对", "`assignment.forbidden`: pairs no plan holds."),
    "pairing": ("Pairing list (output)", "结对名单",
                "Written by `zhuqi solve --out`; read back as `--previous`, by `explain --pairing` "
                "and by `diff`. CSV has the English keys, XLSX the Chinese headers by default "
                "(`--lang en|zh`)."),
}

def table_reference_rows() -> list[dict[str, Any]]:
    """The rows of the table reference: the readers' and writers' one description of every
    table (:func:`assign.io.table_reference`)."""
    from assign.io import table_reference

    return table_reference().to_dict("records")


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, (list, tuple)):
        value = " / ".join(str(v) for v in value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def tables_page() -> str:
    rows = table_reference_rows()
    kinds: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        kinds.setdefault(str(r.get("kind", "")), []).append(r)
    out = [
        "# Tables",
        "",
        "Every table zhuqi reads or writes, column by column. Headers may be written with the "
        "English key or a Chinese header; they are matched after removing spaces, with "
        "full-width brackets read as half-width and English ignoring case. Columns a table does "
        "not know are kept (conflict rules may use them).",
        "",
        "*This page is generated when the site is built, from `assign.io.table_reference()`, "
        "the one description readers and writers both use, so it cannot drift from what zhuqi "
        "reads and writes.*",
        "",
    ]
    order = list(TABLE_TITLES) + [k for k in kinds if k not in TABLE_TITLES]
    for kind in order:
        if kind not in kinds:
            continue
        title, zh, what = TABLE_TITLES.get(kind, (kind, "", ""))
        out += [f"## {title}" + (f" ({zh})" if zh else "") + f" {{#{kind}}}", ""]
        if what:
            out += [what, ""]
        out += ["| key | 中文表头 | also read | type | unit | required | description |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        for r in kinds[kind]:
            out.append("| " + " | ".join([
                f"`{_cell(r.get('key'))}`", _cell(r.get("zh")), _cell(r.get("also_read")),
                _cell(r.get("type")), _cell(r.get("unit")), _cell(r.get("required")),
                _cell(r.get("description")),
            ]) + " |")
        out.append("")
    from assign.categories import CATEGORIES

    out += ["## Categories (问题类型) {#categories}", "",
            "Skills and needs name these categories by key, English label or Chinese label.", "",
            "| key | English | 中文 |", "| --- | --- | --- |"]
    out += [f"| `{k}` | {en} | {zh} |" for k, (en, zh) in CATEGORIES.items()]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------- command line

_MARKUP = re.compile(r"\[/?(?:bold|italic|dim|underline|red|green|yellow|blue|cyan|magenta)[^\]]*\]")


def _plain(text: str | None) -> str:
    return _MARKUP.sub("", text or "").replace("\b", "").strip()


def cli_page() -> str:
    import typer

    from zhuqi.cli import app

    group = typer.main.get_command(app)  # a click-style group (Typer may vendor its own click)
    ctx = group.context_class(group, info_name="zhuqi")
    out = [
        "# Command line: `zhuqi`",
        "",
        "*Generated from the commands themselves when the site is built.*",
        "",
        _plain(group.help),
        "",
        "Exit codes: 0 success (a plan is written, also with partial coverage), 1 no plan could "
        "be made (or, for a batch, some scenarios failed), 2 invalid input. `--debug` shows the "
        "traceback.",
        "",
        "```text",
        "zhuqi [--version] COMMAND [ARGS] [OPTIONS]",
        "```",
        "",
        "| command | what it does |",
        "| --- | --- |",
    ]
    commands = group.list_commands(ctx)
    for name in commands:
        cmd = group.get_command(ctx, name)
        first = _plain(cmd.help).split("\n\n")[0].replace("\n", " ")
        out.append(f"| [`{name}`](#{name}) | {first.replace('|', chr(92) + '|')} |")
    out.append("")
    for name in commands:
        cmd = group.get_command(ctx, name)
        sub = cmd.context_class(cmd, info_name=name, parent=ctx)  # for the parameters' types
        args = [(p.metavar or (p.name or "").upper()) + ("..." if p.nargs == -1 and not (p.metavar or "")
                                                        .endswith("...") else "")
                for p in cmd.params if p.param_type_name == "argument"]
        usage = " ".join(["zhuqi", name, "[OPTIONS]", *args])
        out += [f"## `{name}` {{#{name}}}", "", "```text", usage, "```", "", _plain(cmd.help), ""]
        rows = []
        for p in cmd.params:
            if getattr(p, "hidden", False):
                continue
            if p.param_type_name == "argument":
                names = f"`{(p.metavar or p.name or '').upper()}`"
            else:
                names = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
            kind = "flag" if getattr(p, "is_flag", False) else _plain(p.display_type(sub)).strip("<>")
            default = p.default if not callable(p.default) else None
            default_text = "" if default in (None, False, (), []) or p.required else f"`{default}`"
            rows.append("| " + " | ".join([
                names, kind.replace("|", "\\|"), "yes" if p.required else "", default_text,
                _plain(p.help).replace("|", "\\|").replace("\n", " "),
            ]) + " |")
        if rows:
            out += ["| argument / option | type | required | default | help |",
                    "| --- | --- | --- | --- | --- |", *rows, ""]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------- notebooks

def _output_markdown(output: dict) -> list[str]:
    kind = output.get("output_type")
    if kind == "stream":
        return ["```text", "".join(output.get("text", "")).rstrip(), "```", ""]
    if kind in ("execute_result", "display_data"):
        data = output.get("data", {})
        if "image/png" in data:
            png = "".join(data["image/png"]).replace("\n", "")
            base64.b64decode(png[:64] + "=" * (-len(png[:64]) % 4))  # fails on anything not base64
            return [f"![output](data:image/png;base64,{png})", ""]
        if "text/html" in data and "<table" in "".join(data["text/html"]):
            return ['<div class="nb-output" markdown="0">', "".join(data["text/html"]), "</div>", ""]
        if "text/plain" in data:
            return ["```text", "".join(data["text/plain"]).rstrip(), "```", ""]
    if kind == "error":
        return ["```text", f"{output.get('ename')}: {output.get('evalue')}", "```", ""]
    return []


EXECUTED = ROOT / "out" / "notebooks"
"""Where ``tests/test_notebooks.py`` leaves each notebook as it executed it."""


def _sources(nb: Any) -> list[str]:
    return [c.source for c in nb.cells]


def notebook_page(path: Path, mode: str) -> str:
    """The notebook as a page. ``mode``: ``auto`` shows the outputs of the copy the test suite
    executed when its cells are the notebook's own (else none), ``execute`` runs it now,
    ``none`` shows no outputs."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    note = "not executed for this build"
    if mode == "execute":
        from nbclient import NotebookClient

        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        note = "executed when the site was built"
    elif mode == "auto" and (EXECUTED / path.name).is_file():
        done = nbformat.read(EXECUTED / path.name, as_version=4)
        if _sources(done) == _sources(nb):
            nb, note = done, "as the test suite executed it"
    rel = path.relative_to(ROOT).as_posix()
    out = [f"*This page is the notebook `{rel}`, {note}.*", ""]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            out += [cell.source, ""]
        elif cell.cell_type == "code" and cell.source.strip():
            out += ["```python", cell.source.rstrip(), "```", ""]
            for o in cell.get("outputs", []):
                out += _output_markdown(o)
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------- hook

def on_files(files: Files, config: Any) -> Files:
    from mkdocs.structure.files import File

    files.append(File.generated(config, "guide/tables.md", content=tables_page()))
    files.append(File.generated(config, "reference/cli.md", content=cli_page()))
    mode = os.environ.get("ZHUQI_DOCS_NOTEBOOKS", "auto")
    if mode not in ("auto", "execute", "none"):
        raise ValueError(f"ZHUQI_DOCS_NOTEBOOKS={mode!r}: use auto, execute or none")
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        files.append(File.generated(config, f"notebooks/{nb.stem}.md", content=notebook_page(nb, mode)))
    return files
