"""Run the commands whose output the README and the documentation show, and write it.

Every command output in ``README.md`` and ``docs/`` comes from here, never from a paste:

    .venv/bin/python docs/examples.py                 # run every example, write the snippets
    .venv/bin/python docs/examples.py solve-quanzhou  # only these
    .venv/bin/python docs/examples.py --fast          # only the fast ones (the test's set)
    .venv/bin/python docs/examples.py --check         # compare, write nothing (exit 1 on a difference)

Each example runs its commands with ``bash`` in a fresh scratch folder holding a link to
``scenarios/`` (so paths read as they do from the project root), with the ``zhuqi`` of this
interpreter's environment first on ``PATH`` and a terminal 100 columns wide. The text
(``$ command`` lines and what they print) goes to ``docs/snippets/NAME.txt``, which pages
include with ``--8<-- "NAME.txt"``; a README block between ``<!-- example: NAME -->`` and
``<!-- /example -->`` is rewritten with the same text. ``tests/test_docs_examples.py``
reruns the fast examples and fails when a committed snippet differs from what the commands
print now (timings masked, see :func:`comparable`).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = ROOT / "docs" / "snippets"
README = ROOT / "README.md"
COLUMNS = 100


@dataclass(frozen=True)
class Cmd:
    """One shell command of an example."""

    text: str
    shown: bool = True  # False: run (to prepare files) but left out of the snippet
    keep: str | None = None  # show only the output lines matching this regex
    display: str | None = None  # the command as shown, when it differs from the one run
    code: int = 0  # the exit code it must end with (generation stops on any other)


@dataclass(frozen=True)
class Example:
    name: str
    commands: tuple[Cmd, ...]
    fast: bool = False  # rerun by the default test suite
    volatile: tuple[str, ...] = field(default=())  # regexes of values that differ run to run


def C(text: str, **kw) -> Cmd:  # noqa: N802 (reads like a table)
    return Cmd(text, **kw)


def H(text: str) -> Cmd:  # noqa: N802
    return Cmd(text, shown=False)


# a copy of the Quanzhou scenario that a county office might have filled in from the template
FILL_TEMPLATE = r"""python - <<'EOF'
import csv, openpyxl
for kind, sheet in (("cadres", "干部名单"), ("firms", "企业名单")):
    wb = openpyxl.load_workbook(f"我县驻企/{kind}.xlsx")
    ws = wb[sheet]
    headers = [c.value for c in ws[1]]
    rows = list(csv.DictReader(open(f"scenarios/quanzhou-2020/{kind}.csv", encoding="utf-8-sig")))
    keys = {"干部编号": "id", "企业编号": "id", "干部姓名": "name", "企业名称": "name",
            "派出单位": "home_unit", "纬度": "lat", "经度": "lon", "专长": "skills",
            "行业": "sector", "职工人数": "employees", "优先级": "priority", "需求": "needs"}
    for r in rows:
        ws.append([r.get(keys.get(h, ""), "").replace(";", "、") for h in headers])
    wb.save(f"我县驻企/{kind}.xlsx")
EOF
sed -i 's/^coordinates: gcj02/coordinates: wgs84/' 我县驻企/scenario.yaml
sed -i 's/require_skills: none/require_skills: primary/' 我县驻企/scenario.yaml"""

BAD_LATITUDE = r"""python - <<'EOF'
import openpyxl
wb = openpyxl.load_workbook("我县驻企/cadres.xlsx")
wb["干部名单"]["D3"] = "北纬24.93"
wb.save("我县驻企/cadres.xlsx")
EOF"""

# for the second round, cadres QZ-C001 to QZ-C004 leave and two newcomers join, based elsewhere
ROTATE = r"""python - <<'EOF'
import openpyxl
wb = openpyxl.load_workbook("我县驻企/cadres.xlsx")
ws = wb["干部名单"]
rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_row=3)]
ws.delete_rows(2, 4)
for k, row in enumerate(rows, start=1):
    row[0], row[1] = f"QZ-N00{k}", f"新任干部00{k}"
    row[3], row[4] = float(row[3]) + 0.05, float(row[4]) - 0.03
    ws.append(row)
wb.save("我县驻企/cadres.xlsx")
EOF"""

BROKEN = ("cp -r scenarios/quanzhou-2020 out/broken && "
          "sed -i 's/mode: one_to_many/mode: one_to_few/' out/broken/scenario.yaml")

PINS = ("printf 'cadre_id,firm_id\\nQZ-C003,QZ-F01\\nQZ-C003,QZ-F04\\nQZ-C003,QZ-F27\\n"
        "QZ-C003,QZ-F12\\n' > out/pins.csv")

TWO_BATCHES = r"""python - <<'EOF'
import csv, shutil
shutil.copytree("scenarios/zhangye-2022", "zhangye-two-batches", symlinks=True)
rows = list(csv.DictReader(open("zhangye-two-batches/cadres.csv", encoding="utf-8-sig")))
for k, r in enumerate(rows):
    r["start_day"] = 60 if k >= 52 else ""
with open("zhangye-two-batches/cadres.csv", "w", encoding="utf-8", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
EOF"""

QZ = "scenarios/quanzhou-2020"
ZY = "scenarios/zhangye-2022"
SOLVE_QZ = f"zhuqi solve {QZ} --out out/quanzhou-pairs.csv"
SOLVE_QZ2 = f"zhuqi solve {QZ} --set assignment.max_firms_per_cadre=2 --out out/quanzhou-pairs-2.csv"
SECONDS = r"(?m)^.*seconds.*$"
ROWS = r"objective|firms per cadre|largest load|backend|firms covered|cadres used"

EXAMPLES = [
    Example("version", (C("zhuqi --version"),)),
    Example("check-quanzhou", (C(f"zhuqi check {QZ}"),), fast=True),
    Example("solve-quanzhou", (
        C(f"zhuqi solve {QZ} --out out/quanzhou-pairs.csv --summary out/quanzhou-summary.json"),
        C("head -3 out/quanzhou-pairs.csv"),
    ), fast=True, volatile=(SECONDS,)),
    Example("bad-override", (C(f"zhuqi solve {QZ} --set assignment.max_distance_km=nope", code=2),)),
    Example("solve-zhangye-roads", (
        C(f"zhuqi solve {ZY} --set assignment.max_travel_min=20 --out out/zhangye-pairs.csv"),
        C("head -3 out/zhangye-pairs.csv"),
    ), volatile=(SECONDS,)),
    Example("template", (
        C("zhuqi template 我县驻企 --lang zh"), H(FILL_TEMPLATE), H(BAD_LATITUDE),
        C("zhuqi check 我县驻企", code=2,
          display="zhuqi check 我县驻企    # 填好名单后, 一个纬度写成了 北纬24.93"),
    )),
    Example("quickstart-round", (
        H("zhuqi template 我县驻企 --lang zh"), H(FILL_TEMPLATE),
        C("zhuqi check 我县驻企"),
        C("zhuqi solve 我县驻企 --out 结对名单.xlsx --map 结对地图.html"),
    ), volatile=(SECONDS,)),
    Example("quickstart-explain", (
        H("zhuqi template 我县驻企 --lang zh"), H(FILL_TEMPLATE),
        H("zhuqi solve 我县驻企 --set assignment.max_firms_per_cadre=2 --out 结对名单.xlsx"),
        C("zhuqi explain 我县驻企 --set assignment.max_firms_per_cadre=2 --pairing 结对名单.xlsx "
          "--firm QZ-F13 --firm QZ-F02 --out 结对说明.xlsx"),
    )),
    Example("quickstart-rotate", (
        H("zhuqi template 我县驻企 --lang zh"), H(FILL_TEMPLATE),
        H("zhuqi solve 我县驻企 --out 结对名单.xlsx"), H(ROTATE),
        C("zhuqi solve 我县驻企 --previous 结对名单.xlsx --out 第二轮结对名单.xlsx"),
        C("zhuqi diff 结对名单.xlsx 第二轮结对名单.xlsx --out 变动.xlsx"),
    ), volatile=(SECONDS,)),
    Example("explain-quanzhou", (
        H(SOLVE_QZ2),
        C(f"zhuqi explain {QZ} --set assignment.max_firms_per_cadre=2 --pairing out/quanzhou-pairs-2.csv "
          "--firm QZ-F13 --firm QZ-F02 --firm QZ-F30 --out out/quanzhou-why.xlsx"),
    )),
    Example("diff-quanzhou", (
        H(SOLVE_QZ2), H(SOLVE_QZ),
        C("zhuqi diff out/quanzhou-pairs-2.csv out/quanzhou-pairs.csv --out out/quanzhou-changes.xlsx"),
    )),
    Example("tradeoff-quanzhou", (
        C(f"zhuqi tradeoff {QZ} --between distance,workload --points 6 --time-limit 2 "
          "--out out/quanzhou-front.csv --plot out/quanzhou-front.png --plans out/quanzhou-front"),
    )),
    Example("manifest-check", (
        H(SOLVE_QZ),
        C(f"zhuqi check {QZ} --manifest out/quanzhou-pairs.csv.manifest.json"),
    )),
    Example("batch2", (
        C("zhuqi solve scenarios/zhangye-2022-batch2 --out out/batch2-pairs.csv"),
        C("head -2 out/batch2-pairs.csv"),
    ), volatile=(SECONDS,)),
    Example("balance", (
        C(f"zhuqi solve {QZ} --set assignment.max_firms_per_cadre=6 --set assignment.balance=none",
          keep=ROWS),
        C(f"zhuqi solve {QZ} --set assignment.max_firms_per_cadre=6 --set assignment.balance=firms",
          keep=ROWS),
        C(f"zhuqi solve {QZ} --set assignment.max_firms_per_cadre=6 --set assignment.balance=workload",
          keep=ROWS),
    )),
    Example("budget", (
        C(f"zhuqi solve {QZ} --set assignment.max_cadres=10 --set assignment.max_firms_per_cadre=4",
          keep=ROWS),
    )),
    Example("infeasible-pins", (
        H("mkdir -p out && " + PINS),
        C(f"zhuqi solve {QZ} --set assignment.pinned=$PWD/out/pins.csv --summary out/s.json", code=1),
        C("echo $?"),
    ), volatile=(SECONDS,)),
    Example("batch-solve", (
        H("mkdir -p out && " + BROKEN),
        C("zhuqi solve scenarios/nanan-2020 out/broken scenarios/quanzhou-2020 "
          "--out-dir out/batch --workers 2", code=1),
        C("echo $?"),
    ), volatile=(r"│ +\d+\.\d\d │",)),
    # the task-force search stops at its time limit (status feasible): members, km and the
    # objective may differ from run to run, the teams formed and the firms linked do not
    Example("teams-dadukou", (
        C("zhuqi solve scenarios/dadukou-2020 --out out/dadukou-pairs.xlsx --lang zh"),
    ), volatile=(SECONDS, r"(?m)^│ (objective|bound|cadres used|firms per cadre|largest).*$",
                 r"(?m)^│ T\d\d +│ \S+ +│ +\d+ │|│ +[\d.]+ │$", r"\d+ cadres in")),
    Example("teams-infeasible", (
        C("zhuqi solve scenarios/dadukou-2020 --set assignment.team_size_min=5", code=1),
        C("echo $?"),
    ), volatile=(SECONDS,)),
    Example("simulate-zhangye", (
        C(f"zhuqi simulate {ZY} --replications 20 --seed 1 --out out/zhangye-sim.json"),
    )),
    # served by the teams of a time-limited search (above): the figures move with them
    Example("simulate-dadukou", (C("zhuqi simulate scenarios/dadukou-2020 --replications 4"),),
            volatile=(r"(?m)^│ \w+ +│.*$",)),
    Example("calibrate-surge", (
        C(f"zhuqi calibrate {ZY} --issues 236 --days 120 "
          "--set 'simulation.arrival.profile={surge: 4, half_life_days: 10}'"),
    )),
    Example("two-batches", (
        H(TWO_BATCHES),
        C("zhuqi simulate zhangye-two-batches --replications 20 --seed 1 --out two-batches.json"),
        C("python -c \"import json; print(*[{k: p.get(k) for k in ('start_day', 'cadres', 'assigned', "
          "'changes')} for p in json.load(open('two-batches.json'))['meta']['pairing']['periods']], "
          "sep='\\n')\""),
    )),
    Example("compare-quanzhou", (
        C(f"zhuqi compare {QZ} --cadres 5,9,13 --replications 5"),
        C(f"zhuqi compare {QZ} --cadres 5,9,13 --replications 5 --pick first"),
    )),
    Example("compare-zhangye", (
        C(f"zhuqi compare {ZY} --cadres 10,30,103 --replications 10 --pick first "
          "--set simulation.collection=weekly"),
    )),
    Example("sweep-zhangye", (
        H("mkdir -p out"),
        C(f"zhuqi sweep {ZY} --design docs/zhangye-sweep.yaml --store out/zhangye-sweep.sqlite --workers 2"),
        C("zhuqi report out/zhangye-sweep.sqlite --metric resolution_rate,mean_time_to_resolve_days "
          "--plot out/zhangye-sweep.png --out out/zhangye-summary.csv"),
    ), volatile=(SECONDS,)),
    Example("staff-zhangye", (
        H("mkdir -p out"),
        C(f"zhuqi staff {ZY} --target \"resolution_rate >= 0.53\" --pick first "
          "--store out/zhangye-staff.sqlite --out out/zhangye-staff.json --workers 2"),
    )),
]
BY_NAME = {e.name: e for e in EXAMPLES}


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORCE_COLOR", "CLICOLOR"))}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               COLUMNS=str(COLUMNS), LINES="50", NO_COLOR="1", TERM="dumb", LC_ALL="C.UTF-8",
               PYTHONIOENCODING="utf-8")
    return env


def run(example: Example) -> str:
    """The example's text: each shown command as ``$ command`` and what it printed."""
    with tempfile.TemporaryDirectory(prefix="zhuqi-example-") as tmp:
        work = Path(tmp)
        (work / "scenarios").symlink_to(ROOT / "scenarios")
        (work / "docs").mkdir()
        (work / "docs" / "zhangye-sweep.yaml").symlink_to(ROOT / "docs" / "zhangye-sweep.yaml")
        parts = []
        last = 0
        for cmd in example.commands:
            if cmd.text == "echo $?":  # each command runs in its own shell: the code of the one before
                parts.append(f"$ echo $?\n{last}")
                continue
            done = subprocess.run(["bash", "-c", cmd.text], cwd=work, env=environment(),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if done.returncode != cmd.code:
                raise RuntimeError(f"{example.name}: {cmd.text!r} exited with {done.returncode}, "
                                   f"not {cmd.code}:\n{done.stdout}")
            last = done.returncode
            if not cmd.shown:
                continue
            text = done.stdout.replace(str(work.resolve()), ".").replace(str(work), ".")
            text = text.replace("\ufeff", "")  # the byte-order mark of zhuqi's CSV files
            lines = [ln.rstrip() for ln in text.rstrip("\n").split("\n")] if text.strip() else []
            if cmd.keep:
                lines = [ln for ln in lines if re.search(cmd.keep, ln)]
            parts.append("\n".join([f"$ {cmd.display or cmd.text}", *lines]))
        return "\n".join(parts).rstrip() + "\n"


def comparable(example: Example, text: str) -> str:
    """The text with what may change from run to run masked: timings, and table widths."""
    for pattern in example.volatile:
        text = re.sub(pattern, lambda m: re.sub(r"\d+(?:\.\d+)?", "#", m.group(0)), text)
    text = re.sub(r"[ ─━]+", " ", text)  # a column's width follows its longest value
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def snippet_path(name: str) -> Path:
    return SNIPPETS / f"{name}.txt"


def readme_blocks(readme: str) -> dict[str, str]:
    """README's example blocks: name -> the text inside the code fence."""
    pattern = re.compile(r"<!-- example: ([\w-]+) -->\n```[^\n]*\n(.*?)```\n<!-- /example -->", re.S)
    return {m.group(1): m.group(2) for m in pattern.finditer(readme)}


PICTURE = re.compile(r"<!-- picture: (\S+) \| ([^>]*?) -->\n(.*?)<!-- /picture -->", re.S)
"""A README picture shown only once its file exists (e.g. the workbench's screenshot)."""


def picture_blocks(readme: str) -> str:
    """README with each picture block holding its image if the file exists, else nothing."""
    def block(m: re.Match) -> str:
        path, alt = m.group(1), m.group(2)
        body = f"![{alt}]({path})\n" if (ROOT / path).is_file() else ""
        return f"<!-- picture: {path} | {alt} -->\n{body}<!-- /picture -->"

    return PICTURE.sub(block, readme)


def update_readme(readme: str, snippets: dict[str, str]) -> str:
    def block(m: re.Match) -> str:
        name = m.group(1)
        body = snippets.get(name, m.group(3))
        return f"<!-- example: {name} -->\n```{m.group(2)}\n{body}```\n<!-- /example -->"

    pattern = re.compile(r"<!-- example: ([\w-]+) -->\n```([^\n]*)\n(.*?)```\n<!-- /example -->", re.S)
    return picture_blocks(pattern.sub(block, readme))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="examples to run (default: all)")
    parser.add_argument("--fast", action="store_true", help="only the fast examples")
    parser.add_argument("--check", action="store_true", help="compare with the committed text")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BY_NAME]
    if unknown:
        parser.error(f"unknown examples: {', '.join(unknown)} (known: {', '.join(BY_NAME)})")
    chosen = [BY_NAME[n] for n in args.names] or [e for e in EXAMPLES if e.fast or not args.fast]
    SNIPPETS.mkdir(parents=True, exist_ok=True)
    different = []
    for example in chosen:
        start = time.perf_counter()
        text = run(example)
        path = snippet_path(example.name)
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        same = comparable(example, old) == comparable(example, text)
        print(f"{example.name}: {time.perf_counter() - start:.1f} s, "
              f"{'unchanged' if same else 'CHANGED'}", file=sys.stderr)
        if not same:
            different.append(example.name)
        if not args.check and not same:
            path.write_text(text, encoding="utf-8")
    if not args.check:
        snippets = {p.stem: p.read_text(encoding="utf-8") for p in SNIPPETS.glob("*.txt")}
        README.write_text(update_readme(README.read_text(encoding="utf-8"), snippets), encoding="utf-8")
    elif different:
        print(f"out of date: {', '.join(different)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
