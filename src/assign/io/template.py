"""A blank scenario for an office to fill in: headed Excel rosters and a ``scenario.yaml``.

``write_template(folder, lang="zh")`` writes ``cadres.xlsx`` (sheet 干部名单) and
``firms.xlsx`` (sheet 企业名单), each with a 填写说明 sheet explaining every column, and a
``scenario.yaml`` naming them. The Chinese headers are entries of
the Chinese headers of :mod:`assign.io.schema`, so a filled-in template loads as it is.
"""

from __future__ import annotations

from pathlib import Path

from ..categories import CATEGORIES
from ..errors import Problem, ScenarioError
from .export import atomic_write

_CATS_ZH = "、".join(zh for _, zh in CATEGORIES.values())
_CATS_EN = ", ".join(CATEGORIES)

# (column, Chinese header, Chinese note, English note); the headers are those of
# assign.io.schema (a test checks), so the template and the readers cannot drift apart
CADRE_FIELDS = [
    ("id", "干部编号", "必填，唯一，如 C001", "required, unique, e.g. C001"),
    ("name", "干部姓名", "姓名", "name"),
    ("home_unit", "派出单位", "干部所在单位，如 县发展和改革局", "the cadre's own office"),
    ("lat", "纬度", "常驻地点纬度（度，如 38.93）", "latitude of the cadre's base, degrees"),
    ("lon", "经度", "常驻地点经度（度，如 100.45）", "longitude, degrees"),
    ("skills", "专长", f"可填多项，用、分隔；可选：{_CATS_ZH}",
     f"several allowed, separated by ';'; one of: {_CATS_EN}"),
    ("max_firms", "最多联系企业数", "整数，空白按方案默认", "whole number; blank: the default"),
    ("max_workload", "每周工作小时", "每周可用于联系企业的小时数，可空",
     "hours a week for the firms; may be blank"),
    ("zone", "片区", "所属片区或园区，可空", "zone or industrial park; may be blank"),
]
FIRM_FIELDS = [
    ("id", "企业编号", "必填，唯一，如 F001", "required, unique, e.g. F001"),
    ("name", "企业名称", "企业全称", "the firm's name"),
    ("sector", "行业", "所属行业", "sector"),
    ("lat", "纬度", "企业地址纬度（度）", "latitude, degrees"),
    ("lon", "经度", "企业地址经度（度）", "longitude, degrees"),
    ("employees", "职工人数", "整数", "whole number"),
    ("priority", "优先级", "数字越大越优先；也可填 是/否（重点企业）",
     "higher first; 1/0 for key firms"),
    ("needs", "需求", f"主要需求在前，用、分隔；可选：{_CATS_ZH}",
     f"main need first, separated by ';'; one of: {_CATS_EN}"),
    ("zone", "片区", "所属片区或园区，可空", "zone or industrial park; may be blank"),
]

YAML_ZH = """\
# 驻企干部结对方案（由 zhuqi template 生成）。填好两个名单后运行：
#   zhuqi check {folder}
#   zhuqi solve {folder} --out 结对名单.xlsx --lang zh
name: {name}
description: ''
cadres: cadres.xlsx
cadres_sheet: 干部名单
firms: firms.xlsx
firms_sheet: 企业名单
# 坐标系：高德、腾讯地图取的坐标填 gcj02，百度地图填 bd09，GPS 设备填 wgs84
coordinates: gcj02
assignment:
  mode: one_to_many          # 每名干部可联系多家企业
  max_firms_per_cadre: 3     # 名单未填“最多联系企业数”时的默认值
  max_distance_km: 30        # 干部与企业的最远直线距离（公里）
  require_skills: none       # primary：干部须具备企业的主要需求
  objective: distance
"""

YAML_EN = """\
# A cadre-firm pairing scenario (written by zhuqi template). Fill in both rosters, then:
#   zhuqi check {folder}
#   zhuqi solve {folder} --out pairs.xlsx
name: {name}
description: ''
cadres: cadres.xlsx
cadres_sheet: cadres
firms: firms.xlsx
firms_sheet: firms
# coordinates from GPS or OpenStreetMap: wgs84; from Amap/Tencent: gcj02; from Baidu: bd09
coordinates: wgs84
assignment:
  mode: one_to_many
  max_firms_per_cadre: 3
  max_distance_km: 30
  require_skills: none
  objective: distance
"""


def _workbook(path: Path, sheet: str, fields: list, lang: str) -> None:
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([zh if lang == "zh" else col for col, zh, _, _ in fields])
    for k, cell in enumerate(ws[1]):
        cell.font = Font(bold=True)
        ws.column_dimensions[cell.column_letter].width = 14 if k else 12
    ws.freeze_panes = "A2"
    info = wb.create_sheet("填写说明" if lang == "zh" else "instructions")
    info.append(["列名", "说明"] if lang == "zh" else ["column", "what to write"])
    for col, zh, note_zh, note_en in fields:
        info.append([zh, note_zh] if lang == "zh" else [col, note_en])
    info.append([])
    info.append(["", "每行一名干部或一家企业；第一行是列名，请勿改动。" if lang == "zh"
                 else "One cadre or firm a row; keep the header row as it is."])
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 90
    wb.save(path)


def write_template(folder: str | Path, lang: str = "zh", force: bool = False) -> list[Path]:
    """Write a blank scenario into ``folder``.

    Args:
        folder: Where to write (created if absent).
        lang: "zh" (Chinese headers and notes, GCJ-02 coordinates) or "en".
        force: Replace files that exist.

    Returns:
        The files written.

    Raises:
        ScenarioError: when a file exists and ``force`` is not set (nothing is written).
    """
    if lang not in ("zh", "en"):
        raise ScenarioError([Problem("--lang", f"'{lang}' is not zh or en")])
    folder = Path(folder)
    names = ("scenario.yaml", "cadres.xlsx", "firms.xlsx")
    existing = [folder / n for n in names if (folder / n).exists()]
    if existing and not force:
        raise ScenarioError([Problem(str(p), "exists already (use --force to replace it)")
                             for p in existing])
    zh = lang == "zh"
    text = (YAML_ZH if zh else YAML_EN).format(folder=folder, name=folder.resolve().name)
    written = [
        atomic_write(folder / "cadres.xlsx", lambda p: _workbook(
            p, "干部名单" if zh else "cadres", CADRE_FIELDS, lang)),
        atomic_write(folder / "firms.xlsx", lambda p: _workbook(
            p, "企业名单" if zh else "firms", FIRM_FIELDS, lang)),
        atomic_write(folder / "scenario.yaml", lambda p: p.write_text(text, encoding="utf-8")),
    ]
    return written
