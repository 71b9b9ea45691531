"""One description of every table zhuqi reads or writes: columns, keys, headers, types, units.

Each kind of table (rosters, pair tables, pins, forbidden pairs, pairing lists, cadre loads,
uncovered firms, explanations, diffs, teams) is a :class:`TableSpec`: its :class:`Field`\\ s,
each with the English key zhuqi uses, the Chinese header its writers put in a workbook, other
headers a clerk may type, a type, a unit and whether it is required. Readers
(:func:`assign.io.tables.read_table`) match headers against it after :func:`normalise_header`
and writers head their tables from it (:func:`headers_zh`), so that what zhuqi writes in
either language it reads back. :func:`table_reference` lists it all for the docs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

UNITS: dict[str, tuple[str, tuple[str, ...]]] = {
    "km": ("公里", ("公里", "km", "千米")),
    "h": ("小时", ("小时", "h", "hr", "hrs", "hour", "hours", "时", "小时/周", "h/week")),
    "min": ("分钟", ("分钟", "min", "mins", "minute", "minutes", "分")),
    "deg": ("度", ("度", "°", "deg", "degree", "degrees")),
    "firms": ("家", ("家", "个", "firms")),
    "persons": ("人", ("人", "名", "persons", "people")),
    "day": ("天", ("天", "日", "d", "day", "days")),
    "per_day": ("件/天", ("件/天", "件/日", "个/天", "/day", "per day")),
}
"""Unit key -> (Chinese unit as written in headers, every spelling accepted in a header or
after a number in a cell). Spellings are compared after :func:`normalise_text`."""

OTHER_UNITS = ("米", "m", "元", "万元", "秒", "s", "周", "月", "年", "%")
"""Units zhuqi never uses; a header or cell giving one for a column with a unit is an error."""


@dataclass(frozen=True)
class Field:
    """One column of a table kind.

    Attributes:
        key: zhuqi's name of the column (the English header).
        zh: The Chinese header zhuqi writes.
        type: id, text, float, int, categories, skills, yesno (是/否 or 1/0), or label
            (a coded value written in Chinese by the writers).
        unit: A key of :data:`UNITS`, or None.
        required: A reader refuses the table without it.
        aliases: Other headers accepted on reading (Chinese or English).
        description: What the column holds, in English.
        low, high: Bounds a reader checks (numbers only).
    """

    key: str
    zh: str
    type: str = "text"
    unit: str | None = None
    required: bool = False
    aliases: tuple[str, ...] = ()
    description: str = ""
    low: float | None = None
    high: float | None = None

    def headers(self) -> tuple[str, ...]:
        """Every header accepted for this column, the key and the Chinese header first."""
        return (self.key, self.zh, *self.aliases)


@dataclass(frozen=True)
class TableSpec:
    """One kind of table: its fields, in the order writers put them."""

    kind: str
    description: str
    fields: tuple[Field, ...]

    def field(self, key: str) -> Field:
        """The field of ``key`` (KeyError when the kind has none)."""
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(f"table kind '{self.kind}' has no column '{key}'")

    def keys(self) -> list[str]:
        return [f.key for f in self.fields]


def normalise_text(text: object) -> str:
    """NFKC (full-width digits, letters, spaces and parentheses become half-width), trimmed."""
    return unicodedata.normalize("NFKC", str(text)).strip()


_TRAILING = re.compile(r"^(.*?)[(\[]([^()\[\]]*)[)\]]$")


def split_header(header: object) -> tuple[str, str | None]:
    """``(base, unit)`` of a header after normalising: no spaces, half-width, case-folded,
    a trailing ``(unit)`` split off (``最多联系企业数（家）`` -> ``("最多联系企业数", "家")``)."""
    text = "".join(normalise_text(header).split()).casefold()
    m = _TRAILING.match(text)
    if m and m.group(1):
        return m.group(1), m.group(2)
    return text, None


def unit_of(spelling: str) -> str | None:
    """The key of :data:`UNITS` that ``spelling`` names, "other" for a known foreign unit,
    else None."""
    s = "".join(normalise_text(spelling).split()).casefold()
    for key, (_, spellings) in UNITS.items():
        if s in (x.casefold() for x in spellings):
            return key
    if s in (x.casefold() for x in OTHER_UNITS):
        return "other"
    return None


def unit_zh(unit: str | None) -> str:
    return UNITS[unit][0] if unit else ""


# ----------------------------------------------------------------------------- the fields

def _f(key: str, zh: str, type: str = "text", unit: str | None = None, required: bool = False,
       aliases: tuple[str, ...] = (), description: str = "", low: float | None = None,
       high: float | None = None) -> Field:
    return Field(key, zh, type, unit, required, aliases, description, low, high)


_LAT = _f("lat", "纬度", "float", "deg", aliases=("latitude", "纬度(度)"),
          description="latitude (WGS-84, or the scenario's coordinates)", low=-90, high=90)
_LON = _f("lon", "经度", "float", "deg", aliases=("longitude", "lng", "经度(度)"),
          description="longitude", low=-180, high=180)
_ZONE = _f("zone", "片区", aliases=("园区", "所属片区"), description="zone or industrial park")
_CADRE_ID = _f("cadre_id", "干部编号", required=True, description="the cadre's id")
_FIRM_ID = _f("firm_id", "企业编号", required=True, description="the firm's id")
_CADRE_NAME = _f("cadre_name", "干部姓名", aliases=("姓名",), description="the cadre's name")
_FIRM_NAME = _f("firm_name", "企业名称", description="the firm's name")
_HOME_UNIT = _f("home_unit", "派出单位", description="the cadre's own office (派出单位)")
_KM = _f("distance_km", "距离(公里)", "float", "km", aliases=("距离",),
         description="distance the plan measures (road or great-circle)", low=0)
_COST = _f("cost", "成本", "float", description="the pair's cost in the objective")
_LOAD = _f("load", "周工作量(小时)", "float", "h", aliases=("工作量",),
           description="hours a week the pair takes", low=0)
_PRIORITY = _f("priority", "优先级", "int", aliases=("重点企业",),
               description="higher first; 是/否 read as 1/0")

SPECS: dict[str, TableSpec] = {}


def _spec(kind: str, description: str, *fields: Field) -> TableSpec:
    spec = TableSpec(kind, description, tuple(fields))
    SPECS[kind] = spec
    return spec


_spec(
    "cadres", "cadre roster (cadres.csv / 干部名单)",
    _f("id", "干部编号", "id", required=True, aliases=("编号",), description="unique id"),
    _f("name", "干部姓名", aliases=("姓名", "名称"), description="name"),
    _HOME_UNIT,
    _LAT, _LON,
    _f("skills", "专长", "skills", aliases=("技能",),
       description="categories (keys or Chinese labels, 、 or ; between), optional level a:0.8"),
    _f("max_firms", "最多联系企业数", "int", "firms", aliases=("联系企业数上限", "企业数上限"),
       description="most firms the cadre takes (blank: the scenario's default)", low=0),
    _f("max_workload", "每周工作小时", "float", "h",
       aliases=("工作量上限", "每周工作时间", "每周可用小时"),
       description="hours a week for the firms (blank: no limit)", low=0),
    _ZONE,
    _f("start_day", "开始日", "float", "day", aliases=("起始日",),
       description="batches: serves from this day of a simulation", low=0),
    _f("end_day", "结束日", "float", "day", description="batches: serves until this day", low=0),
)
_spec(
    "firms", "firm roster (firms.csv / 企业名单)",
    _f("id", "企业编号", "id", required=True, aliases=("编号",), description="unique id"),
    _f("name", "企业名称", aliases=("名称",), description="name"),
    _f("sector", "行业", aliases=("所属行业",), description="sector"),
    _LAT, _LON,
    _f("employees", "职工人数", "int", "persons", aliases=("员工人数",),
       description="employees", low=0),
    _PRIORITY,
    _f("needs", "需求", "categories", aliases=("问题类型", "主要需求"),
       description="categories the firm needs, main need first"),
    _ZONE,
    _f("rate_per_day", "每日问题数", "float", "per_day",
       description="issues a day the firm raises (simulation)", low=0),
)
_spec(
    "pairs", "pair table: the admissible pairs with their cost (pairs.csv)",
    _CADRE_ID, _FIRM_ID,
    _f("cost", "成本", "float", required=True, description="the pair's cost"),
    _LOAD,
    _f("travel_min", "行车时间(分钟)", "float", "min", aliases=("行车时间",),
       description="one-way minutes (travel limits, the simulation's visits)", low=0),
)
_spec(
    "pinned", "pinned pairs the plan must contain (assignment.pinned)",
    _CADRE_ID, _FIRM_ID, _f("note", "备注", description="why (free text)"),
)
_spec(
    "forbidden", "pairs the plan never contains (assignment.forbidden)",
    _CADRE_ID, _FIRM_ID, _f("reason", "原因", description="why (free text)"),
)
_PAIRING_FIELDS = (
    _CADRE_ID, _CADRE_NAME, _HOME_UNIT, _FIRM_ID, _FIRM_NAME, _KM,
    _f("crow_km", "直线距离(公里)", "float", "km", description="great-circle km"),
    _f("travel_min", "行车时间(分钟)", "float", "min", description="one-way minutes by road"),
    _f("skill_match", "专长匹配度", "label",
       description="share of the firm's needs the cadre holds (是/部分/否 in a Chinese workbook)"),
    _COST, _LOAD,
    _f("change", "变动", "label", description="against the previous plan: kept, moved, new"),
    _f("team", "专班", description="task force (mode teams)"),
    _ZONE,
)
_spec("pairing", "pairing list (solve --out; read by explain --pairing, simulate --pairs, "
      "solve --previous, diff)", *_PAIRING_FIELDS)
_spec(
    "cadre_loads", "per-cadre loads (second sheet of a pairing workbook)",
    _CADRE_ID, _CADRE_NAME, _HOME_UNIT,
    _f("firms", "联系企业数", "int", "firms", description="firms the cadre serves"),
    _LOAD, _KM,
    _f("max_firms", "企业数上限", "float", "firms", description="the cadre's limit"),
    _f("max_workload", "工作量上限(小时)", "float", "h", description="the cadre's hours"),
    _f("firm_list", "联系企业", description="the firms' names, 、 between"),
)
_spec(
    "uncovered", "firms without a cadre, with the reason",
    _FIRM_ID, _FIRM_NAME, _PRIORITY,
    _f("reason", "原因", "label", description="reason code"),
    _f("detail", "说明", description="the reason in words"),
)
_spec(
    "teams", "task forces (mode teams)",
    _f("team", "专班", description="task force"), _ZONE,
    _f("members", "成员", description="members' names"),
    _f("member_ids", "成员编号", description="members' ids, ; between"),
    _f("home_units", "派出单位", description="members' offices"),
    _f("skills_needed", "所需专长", description="the zone's needs"),
    _f("skills_covered", "覆盖专长", description="needs the members hold"),
    _f("zone_firms", "片区企业数", "int", "firms", description="firms in the zone"),
    _f("linked", "已联系企业数", "int", "firms", description="firms linked to the team"),
)
_spec(
    "diff", "what changed between two pairing lists (zhuqi diff)",
    _FIRM_ID, _FIRM_NAME,
    _f("status", "变化", "label", description="moved, added, removed, kept"),
    _f("from_cadre_id", "原干部编号", description="cadre before"),
    _f("from_cadre_name", "原干部姓名", description="cadre before, name"),
    _f("to_cadre_id", "新干部编号", description="cadre now"),
    _f("to_cadre_name", "新干部姓名", description="cadre now, name"),
    _f("old_distance_km", "原距离(公里)", "float", "km", description="km before"),
    _f("new_distance_km", "新距离(公里)", "float", "km", description="km now"),
    _f("distance_delta_km", "距离变化(公里)", "float", "km", description="km now - before"),
    _f("old_cost", "原成本", "float", description="cost before"),
    _f("new_cost", "新成本", "float", description="cost now"),
    _f("cost_delta", "成本变化", "float", description="cost now - before"),
)
_spec(
    "explanation", "why this cadre, what the next-best costs (zhuqi explain)",
    _FIRM_ID, _FIRM_NAME, _CADRE_ID, _CADRE_NAME, _KM, _COST,
    _f("pinned", "指定结对", "yesno", description="the pair is pinned"),
    _PRIORITY,
    _f("reason", "原因", "label", description="reason code of an uncovered firm"),
    _f("detail", "原因说明", description="the reason in words"),
    _f("firms", "联系企业数", "int", "firms", description="firms the cadre serves"),
    _f("max_firms", "企业数上限", "float", "firms", description="the cadre's limit"),
    _f("rank", "名次", "int", description="rank of the alternative"),
    _f("alt_cadre_id", "备选干部编号", description="alternative cadre"),
    _f("alt_cadre_name", "备选干部姓名", description="alternative cadre, name"),
    _f("alt_distance_km", "备选距离(公里)", "float", "km", description="alternative's km"),
    _f("alt_cost", "备选成本", "float", description="alternative's cost"),
    _f("extra_cost", "目标增加", "float", description="objective increase when forced"),
    _f("admissible", "可派", "yesno", description="the rules admit the pair"),
    _f("why", "不可派原因", description="why not admissible / why uncovered"),
    _f("uncovers", "将无人联系的企业", description="firms the alternative leaves uncovered"),
    _f("status", "求解状态", description="status of the forcing solve"),
    _f("fix_cadre_id", "增额干部编号", description="cadre whose extra place covers the firm"),
    _f("fix_extra_cost", "增额后目标增加", "float", description="objective increase of the fix"),
    _f("fix_kind", "方案类型", description="kind of fix"),
    _f("fix_pin_cadre_id", "指定联系干部", description="cadre to pin in the fix"),
    _f("fix", "补救办法", description="the fix in words"),
    _f("marginal_value", "增一名额节省", "float", description="saving of one more place"),
    _f("firms_gained", "增一名额多覆盖", "int", "firms", description="firms one more place covers"),
    _f("covers", "可覆盖企业", description="firms the cadre may serve"),
    _f("sentence", "说明", description="the explanation in words"),
    _f("holds", "已联系企业", description="firms the cadre holds"),
)
SPECS["previous"] = TableSpec("previous", "last round's pairing list (assignment.previous, "
                              "solve --previous)", _PAIRING_FIELDS)


def spec(kind: str) -> TableSpec:
    """The description of a table kind (KeyError naming the kinds when unknown)."""
    try:
        return SPECS[kind]
    except KeyError:
        raise KeyError(f"unknown table kind '{kind}' (known: {', '.join(SPECS)})") from None


def headers_zh(*kinds: str) -> dict[str, str]:
    """Key -> Chinese header over ``kinds`` (default: every kind; the first kind wins)."""
    out: dict[str, str] = {}
    for kind in kinds or tuple(SPECS):
        for f in SPECS[kind].fields:
            out.setdefault(f.key, f.zh)
    return out


def aliases(kind: str) -> dict[str, str]:
    """Header as written (any accepted spelling) -> key, for one kind."""
    return {h: f.key for f in spec(kind).fields for h in f.headers()}


def table_reference() -> pd.DataFrame:
    """Every table kind's columns, one row each: kind, key, zh header, type, unit,
    required, description (for the docs' table reference)."""
    rows = []
    for kind, s in SPECS.items():
        for f in s.fields:
            rows.append({
                "kind": kind, "key": f.key, "zh": f.zh, "type": f.type,
                "unit": unit_zh(f.unit), "required": f.required,
                "also_read": "、".join(f.aliases), "description": f.description,
                "table": s.description,
            })
    return pd.DataFrame(rows, columns=["kind", "key", "zh", "type", "unit", "required",
                                       "also_read", "description", "table"])


# ----------------------------------------------------------------------------- categories

CATEGORY_SHORT_FORMS: dict[str, str] = {
    "融资": "financing", "贷款": "financing", "金融": "financing", "资金": "financing",
    "降本": "cost_reduction", "增效": "cost_reduction", "减负": "cost_reduction",
    "用工": "hiring", "招工": "hiring", "引才": "hiring", "人才": "hiring", "招聘": "hiring",
    "政策": "policy", "落实": "policy",
    "物流": "logistics", "运输": "logistics", "交通": "logistics",
    "防疫": "supplies", "物资": "supplies",
    "审批": "permits", "手续": "permits", "证照": "permits", "许可": "permits",
    "法律": "legal", "法务": "legal",
    "安全": "safety", "安全生产": "safety", "安监": "safety",
    "环保": "environment", "环评": "environment", "环境": "environment",
    "销售": "sales", "市场": "sales", "营销": "sales",
    "其它": "other",
}
"""Common short forms of the Chinese category labels (融资 for 贷款融资, 政策 for 政策落实)."""
