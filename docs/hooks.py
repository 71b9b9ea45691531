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
from typing import Any

from mkdocs.structure.files import File, Files

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

# Used only while the package has no table_reference(): what each column means and its unit.
_FALLBACK_NOTES: dict[str, tuple[str, str]] = {
    "id": ("Unique identifier.", ""),
    "name": ("Name.", ""),
    "home_unit": ("The cadre's own office (派出单位); conflict rules may use it.", ""),
    "lat": ("Latitude, in the scenario's `coordinates` system (WGS-84 by default).", "degrees"),
    "lon": ("Longitude, in the scenario's `coordinates` system.", "degrees"),
    "skills": ("Categories the cadre can solve: keys or Chinese labels, separated by ; 、 ， or ,; "
               "`key:0.8` gives a proficiency.", ""),
    "max_firms": ("Most firms this cadre serves (blank: `assignment.max_firms_per_cadre`).", "firms"),
    "max_workload": ("Hours a week the cadre has for the firms (blank: no limit).", "hours a week"),
    "zone": ("Zone or industrial park (task forces serve a zone).", ""),
    "start_day": ("First day of the simulation the cadre serves (batches).", "day"),
    "end_day": ("The cadre serves up to, not including, this day.", "day"),
    "sector": ("Industry.", ""),
    "employees": ("Number of employees (drives the load model).", "persons"),
    "priority": ("Higher is covered first; 是/否 read as 1/0.", ""),
    "needs": ("Categories of the firm's problems, the primary need first.", ""),
    "rate_per_day": ("The firm's own issue rate for the simulation.", "issues a day"),
    "cadre_id": ("A cadre's `id`.", ""),
    "firm_id": ("A firm's `id`.", ""),
    "cost": ("The pair's cost (the objective with `objective: cost`).", ""),
    "load": ("Weekly hours the pair takes (blank: the load model's estimate).", "hours a week"),
    "travel_min": ("Travel time one way (the simulation's visits).", "minutes"),
    "note": ("Free text.", ""),
    "reason": ("Why the pair is ruled out (free text).", ""),
    "cadre_name": ("The cadre's name.", ""),
    "firm_name": ("The firm's name.", ""),
    "distance_km": ("Distance of the pair: by road when the scenario has roads, else great circle.", "km"),
    "crow_km": ("Great-circle distance (with roads only).", "km"),
    "skill_match": ("How well the cadre's skills match the firm's needs (0 to 1).", ""),
    "change": ("Against the previous plan: kept, moved or new.", ""),
    "team": ("Task force (teams mode).", ""),
}
_UNIT_OF_HEADER = {"公里": "km", "小时": "hours a week", "分钟": "minutes"}


def _fallback_reference() -> list[dict[str, Any]]:
    """The table reference from the column lists the readers use today."""
    from assign.io import scenario as sc
    from assign.io.export import HEADERS_ZH
    from assign.io.tables import ALIASES
    from assign.rules import FORBID_COLUMNS, PIN_COLUMNS

    rows: list[dict[str, Any]] = []

    def add(kind: str, columns: list, aliases: dict[str, str]) -> None:
        for col in columns:
            heads = [h for h, key in aliases.items() if key == col.name and not h.isascii()]
            kind_text = col.kind if col.kind != "id" else "text"
            if col.low is not None or col.high is not None:
                lo = "" if col.low is None else f"{col.low:g}"
                hi = "" if col.high is None else f"{col.high:g}"
                kind_text += f" [{lo}, {hi}]" if hi else f" ≥ {lo}"
            note, unit = _FALLBACK_NOTES.get(col.name, ("", ""))
            rows.append(dict(kind=kind, key=col.name, zh=" / ".join(heads), type=kind_text, unit=unit,
                             required=col.required, description=note))

    add("cadres", sc.CADRE_COLUMNS, ALIASES["cadres"])
    add("firms", sc.FIRM_COLUMNS, ALIASES["firms"])
    add("pairs", sc.PAIR_COLUMNS, ALIASES["pairs"])
    add("pinned", PIN_COLUMNS, ALIASES["pairs"])
    add("forbidden", FORBID_COLUMNS, ALIASES["pairs"])
    for key, zh in HEADERS_ZH.items():
        if key in ("firms", "max_firms", "max_workload", "firm_list", "members", "member_ids",
                   "home_units", "skills_needed", "skills_covered", "zone_firms", "linked"):
            continue  # columns of the per-cadre and per-team sheets, not of the list of pairs
        note, unit = _FALLBACK_NOTES.get(key, ("", ""))
        unit = unit or next((u for w, u in _UNIT_OF_HEADER.items() if w in zh), "")
        rows.append(dict(kind="pairing", key=key, zh=zh, type="", unit=unit,
                         required=key in ("cadre_id", "firm_id"), description=note))
    return rows


def table_reference_rows() -> tuple[list[dict[str, Any]], str]:
    """The rows of the table reference and where they come from."""
    import assign.io

    if hasattr(assign.io, "table_reference"):
        ref = assign.io.table_reference()
        if hasattr(ref, "to_dict"):
            ref = ref.to_dict("records")
        return [dict(r) for r in ref], "`assign.io.table_reference()`"
    return _fallback_reference(), (
        "the readers' column lists (`assign.io.scenario`, `assign.rules`) and header aliases "
        "(`assign.io.tables.ALIASES`)")


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, (list, tuple)):
        value = " / ".join(str(v) for v in value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def tables_page() -> str:
    rows, source = table_reference_rows()
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
        f"*This page is generated when the site is built, from {source}, so it cannot drift "
        "from what the readers accept.*",
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
        out += ["| key | 中文表头 | type | unit | required | description |",
                "| --- | --- | --- | --- | --- | --- |"]
        for r in kinds[kind]:
            out.append("| " + " | ".join([
                f"`{_cell(r.get('key'))}`", _cell(r.get("zh")), _cell(r.get("type")),
                _cell(r.get("unit")), _cell(r.get("required")), _cell(r.get("description")),
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
    files.append(File.generated(config, "guide/tables.md", content=tables_page()))
    files.append(File.generated(config, "reference/cli.md", content=cli_page()))
    mode = os.environ.get("ZHUQI_DOCS_NOTEBOOKS", "auto")
    if mode not in ("auto", "execute", "none"):
        raise ValueError(f"ZHUQI_DOCS_NOTEBOOKS={mode!r}: use auto, execute or none")
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        files.append(File.generated(config, f"notebooks/{nb.stem}.md", content=notebook_page(nb, mode)))
    return files
