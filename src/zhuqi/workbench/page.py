"""The workbench page (Solara): widgets only; the work is :class:`~.session.Workspace`'s.

Served by ``zhuqi app``, which sets ``ZHUQI_APP_SCENARIO`` (a folder to open, or empty),
``ZHUQI_APP_LANG`` (zh or en) and ``ZHUQI_APP_ROOT`` (the folder under which every
browser session gets its own folder, removed when the session ends).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import reacton.ipyvuetify as v
import solara
import solara.lab
from ipyvuetify.extra import FileInput

from assign.insight.explain import _why_zh as why_zh  # the library's Chinese wording
from assign.io.export import HEADERS_ZH

from .planmap import highlight, plan_map
from .session import KINDS, MAX_UPLOAD_BYTES, Cancelled, Workspace, template_zip
from .text import problem_rows, reason_text, t

LANG = os.environ.get("ZHUQI_APP_LANG", "zh")
SCENARIO = os.environ.get("ZHUQI_APP_SCENARIO") or None
ROOT = Path(os.environ.get("ZHUQI_APP_ROOT") or Path(tempfile.gettempdir()) / "zhuqi-app")
ROWS_PER_PAGE = 15
UNITS_ZH = {"km": "公里", "cost": "成本", "min": "分钟"}
CSS = """
.zq-kpi { min-width: 150px; padding: 10px 14px; margin: 4px; border-radius: 6px;
          background: #f5f7fa; border-left: 4px solid #1976d2; }
.zq-kpi .zq-label { font-size: 13px; color: #555; }
.zq-kpi .zq-value { font-size: 24px; font-weight: 600; }
.zq-kpi .zq-sub { font-size: 12px; color: #777; }
table.zq { border-collapse: collapse; font-size: 14px; width: 100%; }
table.zq th { background: #eef2f7; text-align: left; padding: 4px 8px; white-space: nowrap; }
table.zq td { border-top: 1px solid #e3e3e3; padding: 3px 8px; }
table.zq tr.zq-bad td { color: #b00020; }
.v-btn, .v-tab { text-transform: none !important; letter-spacing: normal !important; }
table.zq td.zq-nowrap { white-space: nowrap; }
.zq-problems { border: 1px solid #b00020; border-radius: 6px; padding: 8px; margin: 8px 0; }
"""


def L(key: str, **values: Any) -> str:  # noqa: N802 - the page's one word function
    return t(key, LANG, **values)


def _fmt(x: Any, digits: int = 1) -> str:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "" if math.isnan(f) else f"{f:,.{digits}f}"


# -- small pieces ------------------------------------------------------------------------


@solara.component
def H(text: str, level: int = 4) -> None:
    v.Html(tag=f"h{level}", children=[text], style_="margin: 12px 0 6px 0")


@solara.component
def P(text: str, bold: str = "") -> None:
    with v.Html(tag="p", style_="margin: 4px 0"):
        if bold:
            v.Html(tag="b", children=[bold])
        v.Html(tag="span", children=[text])


@solara.component
def Kpi(label: str, value: str, sub: str = "") -> None:
    with v.Html(tag="div", class_="zq-kpi"):
        v.Html(tag="div", class_="zq-label", children=[label])
        v.Html(tag="div", class_="zq-value", children=[value])
        if sub:
            v.Html(tag="div", class_="zq-sub", children=[sub])


@solara.component
def Table(rows: list[dict], bad: bool = False, cls: str = "") -> None:
    """A plain table (what a planner copies into a report)."""
    if not rows:
        return
    head = list(rows[0])
    with v.Html(tag="table", class_=f"zq {cls}".strip()):
        with v.Html(tag="thead"):
            with v.Html(tag="tr"):
                for h in head:
                    v.Html(tag="th", children=[str(h)])
        with v.Html(tag="tbody"):
            for r in rows:
                with v.Html(tag="tr", class_="zq-bad" if bad else ""):
                    for h in head:
                        v.Html(tag="td", children=[str(r[h])])


@solara.component
def RosterInput(kind: str, label: str, on_file) -> None:
    """A labelled file input (xlsx or CSV) whose file is handed over as (name, bytes)."""
    info, set_info = solara.use_state(None)
    wired, set_wired = solara.use_state(None)

    def wire() -> None:  # as solara's FileDrop: the widget's files, once chosen
        if not info:
            return
        real = solara.get_widget(element)
        real.version += 1
        real.reset_stats()
        set_wired(real.get_files())

    solara.use_effect(wire, [info])

    def read(cancel) -> None:
        if not wired:
            return
        f = wired[0]
        if f["size"] > MAX_UPLOAD_BYTES:  # not read: the session refuses it by size
            on_file(f["name"], b"", f["size"])
            return
        on_file(f["name"], f["file_obj"].read(), f["size"])

    result = solara.use_thread(read, [wired])
    with v.Html(tag="div", class_=f"zq-upload zq-upload-{kind}"):
        v.Html(tag="div", class_="subtitle-2", children=[label])
        element = FileInput.element(accept=".xlsx,.csv", multiple=False, on_file_info=set_info,
                                    show_progress=True)
        if result.error:
            solara.Error(str(result.error))


# -- the page ----------------------------------------------------------------------------


def _new_workspace() -> Workspace:
    ws = Workspace(ROOT / uuid.uuid4().hex)
    if SCENARIO:
        ws.open(SCENARIO)
    return ws


@solara.component
def Page() -> None:
    ws = solara.use_memo(_new_workspace, [])
    rev = solara.use_reactive(0)
    selected = solara.use_reactive(cast(str | None, None))
    message = solara.use_reactive("")

    def cleanup():
        return lambda: shutil.rmtree(ws.folder, ignore_errors=True)

    solara.use_effect(cleanup, [])

    def changed() -> None:
        rev.value += 1

    def run_solve() -> None:
        ws.solve()
        selected.value = None

    solve_task = solara.lab.use_task(run_solve, dependencies=None, raise_error=False)

    solara.Title(L("title") + (L("colon") + ws.scenario.name if ws.scenario is not None else ""))
    solara.Style(CSS)
    with solara.Sidebar():
        Sidebar(ws, changed, solve_task, rev.value)
    with solara.Column(style={"padding": "8px 16px"}):
        if message.value:
            solara.Info(message.value)
        if solve_task.error:
            solara.Error(str(solve_task.exception))
        if not ws.ready:
            solara.Info(L("no_scenario"))
            solara.FileDownload(lambda: template_zip(LANG), filename="驻企结对空白模板.zip",
                                label=L("template"))
        if ws.problems:
            with v.Html(tag="div", class_="zq-problems"):
                solara.Error(L("problems", n=len(ws.problems)))
                Table(problem_rows(ws.problems, _shown_names(ws), LANG), bad=True,
                      cls="zq-problem-table")
        if solve_task.pending:
            solara.ProgressLinear(True)
            solara.Text(L("solving"))
        plan = ws.plan
        if ws.scenario is not None:
            sc = ws.scenario
            P((f"已读入 {len(sc.cadres)} 名干部、{len(sc.firms)} 家企业。" if LANG == "zh" else
               f"{len(sc.cadres)} cadres and {len(sc.firms)} firms read. ")
              + ("" if plan is not None else (f"点击“{L('solve')}”生成方案。" if LANG == "zh"
                                               else f"Press {L('solve')} to make a plan.")))
        if plan is not None and ws.scenario is not None:
            with solara.lab.Tabs():
                with solara.lab.Tab(L("plan")):
                    PlanView(ws, selected, changed, rev.value)
                with solara.lab.Tab(L("adjust")):
                    AdjustView(ws, changed, rev.value)
                with solara.lab.Tab(L("need")):
                    NeedView(ws, rev.value)


def _shown_names(ws: Workspace) -> dict[str, str]:
    return {str(ws.uploads[k]): ws.upload_names[k] for k in ws.uploads}


@solara.component
def Sidebar(ws: Workspace, changed, solve_task, rev: int) -> None:
    H(L("rosters"), 3)
    solara.FileDownload(lambda: template_zip(LANG), filename="驻企结对空白模板.zip",
                        label=L("template"))
    solara.Text(L("upload_hint", mb=f"{MAX_UPLOAD_BYTES / 2**20:g}"),
                style={"font-size": "12px", "color": "#666"})
    for kind, key in zip(KINDS, ("cadres_roster", "firms_roster"), strict=True):
        def take(name: str, data: bytes, size: int, kind=kind) -> None:
            if size > MAX_UPLOAD_BYTES:
                data = b"\0" * (MAX_UPLOAD_BYTES + 1)
            ws.upload(kind, name, data)
            changed()
        RosterInput(kind, L(key), take)
        if kind in ws.upload_names:
            bad = any(p.file == str(ws.uploads[kind]) or p.file == ws.upload_names[kind]
                      for p in ws.problems)
            solara.Text(f"{'✗' if bad else '✓'} {ws.upload_names[kind]}",
                        style={"font-size": "12px", "color": "#b00020" if bad else "#2e7d32"})
    H(L("settings"), 3)
    Settings(ws, changed, rev)
    solara.Button(L("solve"), color="primary", block=True, on_click=lambda: solve_task(),
                  disabled=ws.scenario is None or bool(ws.problems) or solve_task.pending,
                  style={"margin": "12px 0"})
    if ws.plan is not None:
        number = ws.versions[ws.current].number if ws.current is not None else 0
        H(L("export"), 3)
        solara.FileDownload(ws.export_xlsx, filename=f"配对名单-第{number}版.xlsx",
                            label=L("export_xlsx"))
        solara.FileDownload(ws.export_map, filename=f"配对地图-第{number}版.html",
                            label=L("export_map"))
        solara.FileDownload(ws.export_explanation, filename=f"配对说明-第{number}版.xlsx",
                            label=L("export_why"))


@solara.component
def Settings(ws: Workspace, changed, rev: int) -> None:
    if ws.scenario is None and not ws.settings:
        solara.Text("名单读入后在此设置。" if LANG == "zh" else "Set once the rosters are read.",
                    style={"font-size": "13px", "color": "#666"})
        return

    def choose(key: str, options: list[str]) -> None:
        shown = {L(o if key != "balance" else f"balance_{o}"): o for o in options}
        current = ws.setting(key)
        label = next((s for s, o in shown.items() if o == current), list(shown)[0])

        def pick(s: str) -> None:
            ws.set_setting(key, shown[s])
            changed()
        solara.Select(L(key), values=list(shown), value=label, on_value=pick)

    choose("mode", ["one_to_one", "one_to_many"])
    if ws.setting("mode") != "one_to_one":
        def firms(n: int | None) -> None:
            ws.set_setting("max_firms_per_cadre", n)
            changed()
        solara.InputInt(L("max_firms_per_cadre"), value=ws.setting("max_firms_per_cadre"),
                        on_value=firms, optional=True)

    def number(key: str):
        def set_(x: float | None) -> None:
            ws.set_setting(key, None if x is None or x <= 0 else x)
            changed()
        return set_

    solara.InputFloat(L("max_distance_km") + L("blank_no_limit"),
                      value=ws.setting("max_distance_km"), on_value=number("max_distance_km"),
                      optional=True)
    if ws.scenario is not None and ws.scenario.roads is not None:
        solara.InputFloat(L("max_travel_min") + L("blank_no_limit"),
                          value=ws.setting("max_travel_min"), on_value=number("max_travel_min"),
                          optional=True)
    choose("objective", ["distance", "travel_time", "cost"] if ws.scenario is not None
           and ws.scenario.roads is not None else ["distance", "cost"])
    choose("require_skills", ["none", "primary", "all"])
    choose("balance", ["none", "firms", "workload"])


# -- the plan ----------------------------------------------------------------------------


def plan_kpis(ws: Workspace) -> list[tuple[str, str, str]]:
    """The plan's headline figures: (label, value, note)."""
    p, sc = ws.plan, ws.scenario
    assert p is not None and sc is not None
    total = p.assigned + len(p.uncovered)
    prio = sc.firms.set_index("id")["priority"].fillna(0)
    key = prio[prio > 0].index.astype(str)
    key_cov = int(p.pairs["firm_id"].astype(str).isin(key).sum())
    used = int((p.cadre_loads["firms"] > 0).sum())
    fair = p.fairness() if p.assigned else {"load_max": 0.0, "km_max": 0.0}
    return [
        (L("covered"), f"{p.assigned} / {total}", ""),
        (L("key_covered"), f"{key_cov} / {len(key)}" if len(key) else "—",
         "优先级大于 0 的企业" if LANG == "zh" else "priority above 0"),
        (L("cadres_used"), f"{used} / {len(p.cadre_loads)}", ""),
        (L("max_load"), _fmt(fair["load_max"]), ""),
        (L("total_km"), _fmt(p.pairs["distance_km"].sum()), ""),
        (L("max_km"), _fmt(fair["km_max"]), ""),
    ]


def pair_rows(ws: Workspace) -> pd.DataFrame:
    """Pairs and uncovered firms in one table, with unit, zone and reason to filter on."""
    p, sc = ws.plan, ws.scenario
    assert p is not None and sc is not None
    firms = sc.firms.assign(id=sc.firms["id"].astype(str)).set_index("id")
    pairs = p.pairs.assign(firm_id=p.pairs["firm_id"].astype(str), reason="")
    unc = p.uncovered.assign(firm_id=p.uncovered["firm_id"].astype(str))
    unc = unc.assign(cadre_id="", cadre_name="", home_unit="", distance_km=np.nan,
                     reason=unc["reason"].map(lambda r: reason_text(str(r), LANG)))
    rows = pd.concat([pairs, unc], ignore_index=True)
    rows["zone"] = rows["firm_id"].map(firms["zone"]).fillna("").astype(str)
    rows["firm_name"] = rows["firm_id"].map(firms["name"]).astype(str)
    return rows


@solara.component
def PlanView(ws: Workspace, selected, changed, rev: int) -> None:
    sc = ws.scenario
    with solara.Row(style={"flex-wrap": "wrap"}):
        for label, value, sub in plan_kpis(ws):
            Kpi(label, value, sub)
    if ws.plan is not None and ws.plan.conflicts:
        solara.Error(L("infeasible") + " " + "；".join(ws.plan.conflicts))
    key = (id(ws), ws.current, id(sc))

    def make():
        def pick(fid: str) -> None:
            selected.value = fid
        return plan_map(sc, ws.plan, LANG, on_firm=pick)

    m = solara.use_memo(make, [key])
    assert sc is not None
    solara.use_effect(lambda: highlight(m, sc, selected.value), [m, selected.value])
    with solara.Columns([1, 1]):
        with solara.Column():
            H(L("map"))
            solara.display(m)  # type: ignore[arg-type]
        with solara.Column():
            WhyView(ws, selected, changed, rev)
    PairsTable(ws, selected, rev)


@solara.component
def PairsTable(ws: Workspace, selected, rev: int) -> None:
    rows = pair_rows(ws)
    unit = solara.use_reactive(L("all_values"))
    zone = solara.use_reactive(L("all_values"))
    reason = solara.use_reactive(L("all_values"))
    page = solara.use_reactive(0)
    H(L("pairs_table"))
    with solara.Row():
        for state, col, label in ((unit, "home_unit", "filter_unit"), (zone, "zone", "filter_zone"),
                                  (reason, "reason", "filter_reason")):
            values = sorted(x for x in rows[col].unique() if x)
            if values:
                solara.Select(L(label), values=[L("all_values"), *values], value=state,
                              style={"max-width": "280px"})
    shown = rows
    for state, col in ((unit, "home_unit"), (zone, "zone"), (reason, "reason")):
        if state.value != L("all_values"):
            shown = shown[shown[col] == state.value]
    pages = max(1, math.ceil(len(shown) / ROWS_PER_PAGE))
    k = min(page.value, pages - 1)
    chunk = shown.iloc[k * ROWS_PER_PAGE:(k + 1) * ROWS_PER_PAGE]
    zh = LANG == "zh"
    heads = ["firm_name", "firm_id", "cadre_name", "home_unit", "distance_km", "zone", "reason"]
    with v.Html(tag="table", class_="zq zq-pairs"):
        with v.Html(tag="thead"):
            with v.Html(tag="tr"):
                for h in heads:
                    v.Html(tag="th", children=[HEADERS_ZH.get(h, h) if zh else h])
        with v.Html(tag="tbody"):
            for r in chunk.itertuples(index=False):
                with v.Html(tag="tr", class_="zq-bad" if r.reason else ""):
                    with v.Html(tag="td"):
                        solara.Button(str(r.firm_name), text=True, small=True,
                                      on_click=lambda fid=r.firm_id: selected.set(fid),
                                      style={"text-transform": "none", "padding": "0"})
                    for h in heads[1:]:
                        val = getattr(r, h)
                        v.Html(tag="td", children=[_fmt(val) if h == "distance_km" else str(val)])
    with solara.Row():
        solara.Button("‹", small=True, disabled=k == 0, on_click=lambda: page.set(k - 1))
        solara.Text(f"{k + 1} / {pages}（{len(shown)} 行）" if zh else f"{k + 1} / {pages}")
        solara.Button("›", small=True, disabled=k >= pages - 1, on_click=lambda: page.set(k + 1))


@solara.component
def WhyView(ws: Workspace, selected, changed, rev: int) -> None:
    sc = ws.scenario
    assert sc is not None
    firms = sc.firms.assign(id=sc.firms["id"].astype(str))
    names = {f"{n}（{i}）": i for i, n in zip(firms["id"], firms["name"], strict=True)}
    back = {i: s for s, i in names.items()}
    H(L("why"))

    def pick(s: str | None) -> None:
        selected.value = names.get(s) if s else None

    solara.Select(L("pick_firm"), values=list(names), value=back.get(selected.value),
                  on_value=pick)
    fid = selected.value

    def explained():
        if not fid:
            return None
        try:
            return ws.why(fid)
        except ValueError as exc:  # e.g. a province-scale table: explain refuses, and says why
            return exc

    ex = solara.use_memo(explained, [fid, ws.current, id(sc), rev])
    if isinstance(ex, ValueError):
        solara.Error(str(ex))
        return
    if ex is None:
        return
    unit = UNITS_ZH.get(ex.unit, ex.unit) if LANG == "zh" else ex.unit
    text = [s for s in ex.sentences(LANG) if f"({fid})" in s or f"（{fid}）" in s]
    for s in text[:2]:
        P(s)
    row = ex.firms[ex.firms["firm_id"].astype(str) == fid]
    if not row.empty:
        r = row.iloc[0]
        cadre = str(r["cadre_id"])
        P(f"：{r['cadre_name']}（{cadre}），{_fmt(r['distance_km'])} 公里" if LANG == "zh" else
          f": {r['cadre_name']} ({cadre}), {_fmt(r['distance_km'])} km", L("current_cadre"))
        alts = ex.alternatives[ex.alternatives["firm_id"].astype(str) == fid]
        if len(alts):
            P(f"（{L('extra')}，{unit}）" if LANG == "zh" else f" ({L('extra')}, {unit})",
              L("next_best"))
            with v.Html(tag="table", class_="zq zq-alternatives"):
                with v.Html(tag="thead"):
                    with v.Html(tag="tr"):
                        for h in (("排名", "干部", "距离(公里)", f"增加({unit})", "说明")
                                  if LANG == "zh" else
                                  ("rank", "cadre", "km", f"extra ({unit})", "note")):
                            v.Html(tag="th", children=[h])
                with v.Html(tag="tbody"):
                    for a in alts.itertuples(index=False):
                        extra = (f"{a.extra_cost:+.3f}" if a.admissible and not _nan(a.extra_cost)
                                 else "—")
                        note = str(a.why or "")
                        if note and LANG == "zh":
                            note = why_zh(note)
                        if a.uncovers:
                            note = (f"会使 {a.uncovers} 失去干部" if LANG == "zh"
                                    else f"uncovers {a.uncovers}")
                        with v.Html(tag="tr"):
                            v.Html(tag="td", children=[str(a.rank) if a.admissible else "—"])
                            v.Html(tag="td", class_="zq-nowrap", children=[str(a.cadre_name)],
                                   attributes={"title": str(a.cadre_id)})
                            v.Html(tag="td", children=[_fmt(a.distance_km)])
                            v.Html(tag="td", class_="zq-extra", children=[extra])
                            with v.Html(tag="td"):
                                if note:
                                    v.Html(tag="div", children=[note])
                                if a.admissible:
                                    solara.Button(
                                        L("pin"), small=True, outlined=True,
                                        on_click=lambda c=str(a.cadre_id): act(changed, ws.pin, c, fid))
        if not bool(r.get("pinned", False)):
            solara.Button(L("forbid"), small=True, color="error", outlined=True,
                          on_click=lambda: act(changed, ws.forbid, cadre, fid))
    unc = ex.uncovered[ex.uncovered["firm_id"].astype(str) == fid]
    if len(unc):
        u = unc.iloc[0]
        solara.Warning(f"{reason_text(str(u['reason']), LANG)}")


def _local_time(stamp: Any) -> str:
    """A manifest's ISO time in the server's own time zone (the planner's clock)."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(str(stamp)).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(stamp or "")


def act(changed, fn, *args) -> None:
    """Run a session step, then redraw."""
    fn(*args)
    changed()


def _nan(x: Any) -> bool:
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return True


# -- adjust ------------------------------------------------------------------------------


@solara.component
def AdjustView(ws: Workspace, changed, rev: int) -> None:
    def run() -> None:
        ws.propose()

    task = solara.lab.use_task(run, dependencies=None, raise_error=False)
    H(L("page_rules"))
    names_c = dict(zip(ws.scenario.cadres["id"].astype(str), ws.scenario.cadres["name"],
                       strict=True)) if ws.scenario is not None else {}
    names_f = dict(zip(ws.scenario.firms["id"].astype(str), ws.scenario.firms["name"],
                       strict=True)) if ws.scenario is not None else {}
    rules = [(L("pinned"), c, f) for c, f in ws.pins] + [(L("forbidden"), c, f) for c, f in ws.forbids]
    if not rules:
        solara.Text("在“方案”页选中企业后可指定或禁止干部。" if LANG == "zh" else
                    "Pick a firm on the Plan tab to pin or forbid a cadre.")
    for kind, c, f in rules:
        with solara.Row(classes=["zq-rule"]):
            solara.Text(f"{kind}：{names_c.get(c, c)}（{c}） — {names_f.get(f, f)}（{f}）")
            solara.Button(L("remove"), small=True, text=True,
                          on_click=lambda c=c, f=f: act(changed, ws.unpin, c, f))
    solara.Button(L("resolve"), color="primary", disabled=not rules or task.pending,
                  on_click=lambda: task())
    if task.pending:
        solara.ProgressLinear(True)
    if task.error:
        solara.Error(str(task.exception))
    prop = ws.proposal
    if prop is not None:
        H(L("diff"))
        if not prop.pairing.is_feasible():
            solara.Error(L("infeasible") + " " + "；".join(prop.pairing.conflicts))
        with solara.Row(style={"flex-wrap": "wrap"}):
            for s in ("kept", "moved", "added", "removed"):
                Kpi(L(s), str(prop.counts[s]))
        changed_rows = prop.diff[prop.diff["status"] != "kept"]
        if len(changed_rows):
            from assign.insight.diff import headed_diff

            cols = ["firm_id", "firm_name", "status", "from_cadre_name", "to_cadre_name",
                    "distance_delta_km"]
            shown = changed_rows[cols].assign(distance_delta_km=changed_rows["distance_delta_km"].map(
                lambda x: f"{x:+.1f}"))
            Table(headed_diff(shown, LANG).to_dict("records"), cls="zq-diff")
        with solara.Row():
            solara.Button(L("accept"), color="success", disabled=not prop.pairing.is_feasible(),
                          on_click=lambda: act(changed, ws.accept))
            solara.Button(L("discard"), text=True, on_click=lambda: act(changed, ws.discard))
    H(L("versions"))
    for k, ver in enumerate(ws.versions):
        with solara.Row(classes=["zq-version"]):
            p = ver.pairing
            mark = "▶ " if k == ws.current else ""
            solara.Text(f"{mark}{L('version', n=ver.number)} · {ver.note} · "
                        f"{p.assigned} / {p.assigned + len(p.uncovered)} · "
                        f"{_local_time(ver.manifest.get('started'))}")
            solara.FileDownload(lambda n=ver.number: ws.export_manifest(n),
                                filename=f"方案清单-第{ver.number}版.json", label=L("manifest"),
                                icon_name="mdi-file-document-outline")
            if k != ws.current:
                solara.Button(L("restore"), small=True, text=True,
                              on_click=lambda n=ver.number: act(changed, ws.restore, n))


# -- how many we need --------------------------------------------------------------------

SIM_METRICS = ("resolution_rate", "closed_within_30d", "backlog_at_end", "mean_time_to_resolve_days")


def _ci_text(m: dict, metric: str) -> tuple[str, str]:
    share = metric in ("resolution_rate", "closed_within_30d")
    lo, hi = m["ci95"]
    if share:  # a Student-t interval of a share can pass 100%; a share cannot
        lo, hi = max(lo, 0.0), min(hi, 1.0)

    def f(x: float) -> str:
        return f"{100 * x:.1f}%" if share else f"{x:.1f}"
    return f(m["mean"]), f"{L('ci')}：{f(lo)} – {f(hi)}"


@solara.component
def NeedView(ws: Workspace, rev: int) -> None:
    reps = solara.use_reactive(10)
    levels = solara.use_reactive("")
    goal_metric = solara.use_reactive(L("closed_within_30d"))
    goal_value = solara.use_reactive(80.0)
    n = len(ws.scenario.cadres) if ws.scenario is not None else 0

    def sim_run():
        return ws.simulate(int(reps.value), progress=lambda d, tot: setattr(
            sim_task, "progress", 100 * d / max(tot, 1)), cancelled=lambda: not sim_task.is_current())

    def cmp_run():
        lv = sorted({int(x) for x in levels.value.replace("，", ",").split(",") if x.strip()})
        return ws.compare(lv, int(reps.value), progress=lambda d, tot: setattr(
            cmp_task, "progress", 100 * d / max(tot, 1)), cancelled=lambda: not cmp_task.is_current())

    def staff_run():
        return ws.staff(target_text(goal_metric.value, goal_value.value), progress=lambda d, tot: setattr(
            staff_task, "progress", 100 * d / max(tot, 1)), cancelled=lambda: not staff_task.is_current())

    sim_task = solara.lab.use_task(sim_run, dependencies=None, raise_error=False)
    cmp_task = solara.lab.use_task(cmp_run, dependencies=None, raise_error=False)
    staff_task = solara.lab.use_task(staff_run, dependencies=None, raise_error=False)
    if not levels.value and n:
        levels.value = ",".join(str(x) for x in sorted({max(1, round(n * f)) for f in (0.6, 0.8, 1.0)}))
    solara.InputInt(L("replications"), value=reps)
    RunButton(L("simulate"), sim_task)
    res = sim_task.value if sim_task.finished else None
    if res is not None:
        s = res.summary()["metrics"]
        days = f'{res.meta["parameters"].get("days", 0):g}'
        solara.Text(L("sim_days", days=days, r=res.meta["replications"]))
        with solara.Row(style={"flex-wrap": "wrap"}):
            for metric in SIM_METRICS:
                if metric in s:
                    value, sub = _ci_text(s[metric], metric)
                    Kpi(L(metric), value, sub)
        OpenIssuesChart(res.timeseries)
    H(L("compare"))
    solara.InputText(L("levels"), value=levels)
    RunButton(L("compare"), cmp_task)
    if cmp_task.finished and cmp_task.value is not None:
        rows = []
        for lv in cmp_task.value.levels:
            row = {("干部人数" if LANG == "zh" else "cadres"): lv["cadres"],
                   ("覆盖企业" if LANG == "zh" else "covered"): lv["covered"]}
            for metric in SIM_METRICS:
                if metric in lv["metrics"]:
                    value, sub = _ci_text(lv["metrics"][metric], metric)
                    row[L(metric)] = f"{value}（{sub.split('：')[-1]}）"
            rows.append(row)
        Table(rows, cls="zq-compare")
    H(L("staff"))
    with solara.Row():
        solara.Select(L("target"), values=[L(m) for m in SIM_METRICS], value=goal_metric,
                      style={"max-width": "260px"})
        share = goal_metric.value in (L("resolution_rate"), L("closed_within_30d"))
        solara.InputFloat(("至少（%）" if share else "至多") if LANG == "zh" else
                          ("at least (%)" if share else "at most"), value=goal_value,
                          style={"max-width": "160px"})
    RunButton(L("staff"), staff_task)
    if staff_task.finished and staff_task.value is not None:
        r = staff_task.value
        best = getattr(r, "cadres", None)
        goal = f"{goal_metric.value} {'≥' if share else '≤'} {goal_value.value:g}{'%' if share else ''}"
        solara.Success((f"至少需要 {best} 名干部（{goal}）" if best is not None else
                        "名单内的人数达不到该目标") if LANG == "zh" else f"least staffing: {best}")


def target_text(label: str, value: float) -> str:
    """The ``zhuqi staff`` target for a metric chosen by its label and a typed value
    (shares typed in percent; shares and the 30-day rate at least, the others at most)."""
    metric = next(m for m in SIM_METRICS if L(m) == label)
    if metric in ("resolution_rate", "closed_within_30d"):
        return f"{metric} >= {value / 100:g}"
    return f"{metric} <= {value:g}"


@solara.component
def RunButton(label: str, task) -> None:
    """A button that starts ``task``, a cancel button while it runs, and its progress."""
    with solara.Row():
        solara.Button(label, color="primary", disabled=task.pending, on_click=lambda: task())
        if task.pending:
            solara.Button(L("cancel"), on_click=task.cancel)
    Running(task)


@solara.component
def Running(task) -> None:
    if task.pending:
        solara.ProgressLinear(task.progress if task.progress is not None else True)
    if task.error and not isinstance(task.exception, Cancelled):
        solara.Error(str(task.exception))


@solara.component
def OpenIssuesChart(series: pd.DataFrame) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    col = "open_issues" if "open_issues" in series.columns else None
    if col is None:
        return
    x = "day" if "day" in series.columns else series.columns[0]
    g = series.groupby(x)[col]
    mean, lo, hi = g.mean(), g.quantile(0.025), g.quantile(0.975)
    from sim.plots import cjk_font

    font = cjk_font()
    cjk = [font] if font else []
    zh = LANG == "zh" and bool(cjk)
    fig = Figure(figsize=(7, 2.8))
    ax = fig.subplots()
    ax.fill_between(mean.index, lo, hi, alpha=0.25,
                    label="95% 的模拟落在此范围" if zh else "95% of runs")
    ax.plot(mean.index, mean.values, label="平均" if zh else "mean")
    ax.set_xlabel("天" if zh else "day", family=cjk[0] if zh else None)
    ax.set_ylabel("未办结问题（件）" if zh else "open issues", family=cjk[0] if zh else None)
    ax.legend(loc="upper left", prop={"family": cjk[0]} if zh else None, fontsize=8)
    fig.tight_layout()
    solara.FigureMatplotlib(fig, format="png")


__all__ = ["Page"]
