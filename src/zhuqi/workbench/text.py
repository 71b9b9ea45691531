"""The workbench's words: page labels in Chinese and English, and input problems in Chinese.

The library reports input problems in English (``assign.Problem``); :func:`problem_rows`
turns them into the table the page shows (file, sheet, row, column as written, problem),
with the problem in Chinese when ``lang`` is zh. Messages not known here are shown as
written, so nothing is hidden.
"""

from __future__ import annotations

import re
from pathlib import Path

from assign import Problem
from assign.candidates import REASONS_ZH
from assign.io.export import HEADERS_ZH

from .session import MAX_UPLOAD_BYTES

LABELS = {
    "title": ("驻企干部结对工作台", "Cadre-firm planner's workbench"),
    "rosters": ("名单", "Rosters"),
    "cadres_roster": ("干部名单", "Cadre roster"),
    "firms_roster": ("企业名单", "Firm roster"),
    "template": ("下载空白模板", "Download the blank template"),
    "upload_hint": ("xlsx 或 CSV，不超过 {mb} MB", "xlsx or CSV, at most {mb} MB"),
    "no_scenario": ("尚未打开方案：请下载空白模板，填好后上传干部名单和企业名单。",
                    "No scenario open: download the blank template, fill it in, and upload "
                    "both rosters."),
    "problems": ("名单有 {n} 处问题，改正后才能求解", "{n} problems in the rosters; fix them to solve"),
    "settings": ("结对设置", "Settings"),
    "mode": ("每名干部联系", "Firms per cadre"),
    "one_to_one": ("一家企业", "one firm"),
    "one_to_many": ("多家企业", "several firms"),
    "max_firms_per_cadre": ("每名干部最多联系企业数", "Most firms a cadre"),
    "max_distance_km": ("最远距离（公里）", "Longest pair (km)"),
    "max_travel_min": ("最长车程（分钟）", "Longest drive (min)"),
    "no_limit": ("不限", "no limit"),
    "blank_no_limit": ("（留空表示不限）", " (blank: no limit)"),
    "colon": ("：", ": "),
    "objective": ("优先考虑", "Minimise"),
    "distance": ("总距离最短", "total distance"),
    "travel_time": ("总车程最短", "total travel time"),
    "cost": ("综合成本最低（距离+专长）", "total cost (distance + skills)"),
    "require_skills": ("专长要求", "Skills"),
    "none": ("不强制（专长不符计入成本）", "soft (a mismatch costs)"),
    "primary": ("须具备企业的主要需求", "must hold the firm's main need"),
    "all": ("须具备企业的全部需求", "must hold all the firm's needs"),
    "balance": ("均衡工作量", "Balance"),
    "balance_none": ("不均衡", "none"),
    "balance_firms": ("均衡联系企业数", "firms per cadre"),
    "balance_workload": ("均衡周工作量", "weekly workload"),
    "max_cadres": ("最多使用干部数", "Use at most N cadres"),
    "solve": ("求解", "求解"),
    "solving": ("正在求解……", "Solving..."),
    "plan": ("方案", "Plan"),
    "covered": ("覆盖企业", "Firms covered"),
    "key_covered": ("重点企业覆盖", "Key firms covered"),
    "cadres_used": ("使用干部", "Cadres used"),
    "max_load": ("最大周工作量（小时）", "Largest load (h/week)"),
    "total_km": ("总距离（公里）", "Total km"),
    "max_km": ("单人最大距离（公里）", "Largest km of a cadre"),
    "map": ("结对地图", "Map"),
    "legend_cadre": ("干部（方块，每人一色）", "cadre (square, one colour each)"),
    "legend_firm": ("已结对企业（圆点，干部的颜色）", "paired firm (dot, its cadre's colour)"),
    "legend_uncovered": ("未覆盖企业（红色空心圆）", "uncovered firm (red ring)"),
    "pairs_table": ("结对名单", "Pairs"),
    "filter_unit": ("派出单位", "Home unit"),
    "filter_zone": ("片区", "Zone"),
    "filter_reason": ("未覆盖原因", "Why uncovered"),
    "all_values": ("全部", "all"),
    "uncovered_only": ("只看未覆盖", "uncovered only"),
    "why": ("为什么这样安排", "Why"),
    "pick_firm": ("选择企业（或点击地图上的企业）", "Firm (or click it on the map)"),
    "current_cadre": ("现安排干部", "Cadre"),
    "next_best": ("次优人选", "Next-best cadres"),
    "extra": ("若改派，目标值增加", "Extra if moved"),
    "pin": ("指定此干部", "Pin this cadre"),
    "forbid": ("禁止此配对", "Forbid this pair"),
    "adjust": ("调整与版本", "Adjust and versions"),
    "page_rules": ("本页设定的指定与禁止", "Pins and forbidden pairs set here"),
    "pinned": ("指定", "pinned"),
    "forbidden": ("禁止", "forbidden"),
    "remove": ("取消", "remove"),
    "resolve": ("按调整重新求解（改动最少）", "Re-solve with fewest changes"),
    "diff": ("与当前方案相比", "Against the plan on screen"),
    "kept": ("未变", "kept"),
    "moved": ("改派", "moved"),
    "added": ("新增", "new"),
    "removed": ("撤销", "dropped"),
    "accept": ("采用新方案", "Accept"),
    "discard": ("放弃", "Discard"),
    "versions": ("历史版本", "Versions"),
    "restore": ("回到此版本", "Go back to it"),
    "manifest": ("清单", "manifest"),
    "export": ("导出", "Print"),
    "export_xlsx": ("导出 Excel", "导出 Excel"),
    "export_map": ("导出地图（HTML）", "Map (HTML)"),
    "export_why": ("导出结对说明（Excel）", "Explanation (Excel)"),
    "need": ("需要多少人", "How many we need"),
    "replications": ("模拟次数", "Replications"),
    "simulate": ("模拟当前方案", "Simulate this plan"),
    "cancel": ("停止", "Stop"),
    "levels": ("比较的干部人数（逗号分隔）", "Staffing levels to compare (comma-separated)"),
    "compare": ("比较不同人数", "Compare staffing"),
    "target": ("服务目标", "Service target"),
    "staff": ("求最少人数", "Find the least staffing"),
    "resolution_rate": ("办结率", "resolved"),
    "closed_within_30d": ("30 天内办结", "closed within 30 days"),
    "backlog_at_end": ("期末积压（件）", "backlog at end"),
    "mean_time_to_resolve_days": ("平均办结天数", "mean days to close"),
    "ci": ("95% 置信区间", "95% interval"),
    "open_issues": ("未办结问题（件）", "open issues"),
    "day": ("天", "day"),
    "version": ("第 {n} 版", "version {n}"),
    "infeasible": ("结对规则相互矛盾，无法形成方案：", "The rules conflict; no plan:"),
    "sim_days": ("模拟 {days} 天，{r} 次重复，随机种子 0", "{days} days, {r} replications, seed 0"),
}
"""Page words by key: (Chinese, English)."""


def t(key: str, lang: str = "zh", **values: object) -> str:
    zh, en = LABELS[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


_PATTERNS_ZH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^a value is required$"), "此处必须填写"),
    (re.compile(r"^duplicate id (.*)$"), r"编号重复：\1"),
    (re.compile(r"^'(.*)' is not a number$"), r"“\1”不是数字"),
    (re.compile(r"^'(.*)' is not a whole number$"), r"“\1”不是整数"),
    (re.compile(r"^'(.*)' is below the minimum (.*)$"), r"“\1”小于最小值 \2"),
    (re.compile(r"^'(.*)' is above the maximum (.*)$"), r"“\1”大于最大值 \2"),
    (re.compile(r"^unknown category (\S+) \(known: .*\)$"), r"未知的专长或需求类别 \1"),
    (re.compile(r"^skill level in '(.*)' must be a number in \(0, 1\]$"),
     r"“\1”中的熟练度须为 0 到 1 之间的数"),
    (re.compile(r"^required column is missing$"), "缺少必填列"),
    (re.compile(r"^column appears more than once$"), "列名重复"),
    (re.compile(r"^the table has no rows$"), "表中没有数据行"),
    (re.compile(r"^the sheet is empty$"), "工作表是空的"),
    (re.compile(r"^the file is empty$"), "文件是空的"),
    (re.compile(r"^file not found$"), "找不到文件"),
    (re.compile(r"^not UTF-8 or GB18030 text$"), "不是 UTF-8 或 GB18030 编码的文本"),
    (re.compile(r"^row has a different number of fields than the header$"), "此行的列数与表头不同"),
    (re.compile(r"^\.\.\. and (\d+) more rows like these$"), r"……还有 \1 行同样的问题"),
    (re.compile(r"^cannot be read as an Excel workbook.*$"), "无法作为 Excel 工作簿（.xlsx）读取"),
    (re.compile(r"^no sheet '(.*)' \(sheets: (.*)\)$"), r"没有名为“\1”的工作表（现有：\2）"),
    (re.compile(r"^a location is needed.*$"), "须填写经纬度（按距离结对时每行都要有位置）"),
    (re.compile(r"^give both lat and lon, or neither$"), "经度和纬度须同时填写或同时不填"),
    (re.compile(r"^end_day must come after start_day$"), "结束日须晚于开始日"),
    (re.compile(r"^unknown id '(.*)'$"), r"未知编号“\1”"),
    (re.compile(r"^upload_type:(.*)$"), r"只接受 .xlsx 或 .csv 文件（收到的是 \1）"),
    (re.compile(r"^upload_size:(\d+)$"), "文件过大"),
    (re.compile(r"^upload_not_xlsx$"), "扩展名是 .xlsx，但内容不是 Excel 工作簿"),
    (re.compile(r"^upload_not_csv$"), "扩展名是 .csv，但内容不是文本"),
]

_PATTERNS_EN: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^upload_type:(.*)$"), r"only .xlsx or .csv files are accepted (got \1)"),
    (re.compile(r"^upload_size:(\d+)$"), "the file is too large"),
    (re.compile(r"^upload_not_xlsx$"), "named .xlsx but not an Excel workbook"),
    (re.compile(r"^upload_not_csv$"), "named .csv but not text"),
]


def problem_text(message: str, lang: str = "zh") -> str:
    """A problem's message in ``lang`` (as written when no translation is known)."""
    for pattern, repl in (_PATTERNS_ZH if lang == "zh" else _PATTERNS_EN):
        if pattern.match(message):
            text = pattern.sub(repl, message)
            if message.startswith("upload_size"):
                mb = MAX_UPLOAD_BYTES / 2**20
                text += f"（{int(message.split(':')[1]) / 2**20:.1f} MB，上限 {mb:g} MB）" \
                    if lang == "zh" else f" ({int(message.split(':')[1]) / 2**20:.1f} MB, limit {mb:g} MB)"
            return text
    return message


COLUMNS_ZH = {**HEADERS_ZH, "id": "编号", "name": "名称", "lat": "纬度", "lon": "经度",
              "skills": "专长", "needs": "需求", "sector": "行业", "employees": "员工数",
              "max_workload": "工作量上限(小时)", "start_day": "开始日", "end_day": "结束日"}


def problem_rows(problems: list[Problem], names: dict[str, str], lang: str = "zh") -> list[dict]:
    """The page's problem table: one row per problem.

    Args:
        problems: As the library reports them.
        names: Session paths -> the names the planner knows (an uploaded file's name).
        lang: zh or en.
    """
    zh = lang == "zh"
    rows = []
    for p in problems:
        shown = names.get(p.file, Path(p.file).name if "/" in p.file else p.file)
        column = p.column or p.key or ""
        rows.append({
            ("文件" if zh else "file"): shown,
            ("工作表" if zh else "sheet"): p.sheet or "",
            ("行" if zh else "row"): "" if p.row is None else str(p.row),
            ("列" if zh else "column"): column,
            ("问题" if zh else "problem"): problem_text(p.message, lang),
        })
    return rows


def reason_text(reason: str, lang: str = "zh") -> str:
    """An uncovered firm's reason key in words."""
    if lang == "zh":
        return REASONS_ZH.get(reason, reason)
    from assign.candidates import REASONS

    return REASONS.get(reason, reason)
