"""Write the seed scenarios in scenarios/ from the article figures plus seeded generated detail.

Run from the project root: ``.venv/bin/python tools/seed_scenarios.py``. The output is
committed; rerunning with the same code gives the same files. What comes from the
articles and what is generated is written in each scenario's README.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from assign.generate import write_scenario
from assign.geo import EARTH_RADIUS_KM

ROOT = Path(__file__).resolve().parents[1] / "scenarios"

# Home units named in the articles (or, for Yifeng, the kinds of unit it names: county
# units, the industrial park, service units), with the categories their remit covers.
COUNTY_UNITS = [
    ("县发展改革委", "policy;financing"),
    ("县工业和信息化局", "cost_reduction;sales;policy"),
    ("县人力资源和社会保障局", "hiring;policy"),
    ("县财政局", "financing;policy"),
    ("县交通运输局", "logistics"),
    ("县卫生健康委", "supplies;safety"),
    ("县行政审批局", "permits"),
    ("县司法局", "legal"),
    ("县应急管理局", "safety"),
    ("县生态环境局", "environment;permits"),
    ("县商务局", "sales;logistics"),
    ("县市场监管局", "permits;safety"),
    ("工业园区管委会", "permits;policy;hiring"),
    ("县金融服务中心", "financing"),
    ("县税务局", "cost_reduction;policy"),
]

ZHANGYE_UNITS = [
    ("市水务局", "other;policy"),
    ("市自然资源局", "other;policy"),
    ("市生态环境局", "other;policy"),
    ("市应急管理局", "other;cost_reduction"),
    ("市工业和信息化局", "cost_reduction;other"),
    ("市发展和改革委员会", "policy;financing"),
    ("市财政局", "financing;policy"),
    ("市人力资源和社会保障局", "hiring;policy"),
    ("市地方金融监管局", "financing"),
    ("市商务局", "other;cost_reduction"),
    ("市税务局", "cost_reduction;policy"),
    ("市市场监管局", "policy;other"),
]


def scatter(rng: np.random.Generator, n: int, lat: float, lon: float, sd_km: float):
    """n points around (lat, lon), normal offsets with sd_km per axis."""
    north, east = rng.normal(0, sd_km, n), rng.normal(0, sd_km, n)
    la = lat + np.degrees(north / EARTH_RADIUS_KM)
    lo = lon + np.degrees(east / (EARTH_RADIUS_KM * np.cos(np.radians(lat))))
    return np.round(la, 6), np.round(lo, 6)


def needs_from(rng: np.random.Generator, n: int, cats: list[str], weights: list[float]) -> list[str]:
    """Each firm's needs: a primary category drawn by weight, sometimes a second one."""
    p = np.array(weights, float) / sum(weights)
    out = []
    for _ in range(n):
        k = 1 + int(rng.random() < 0.4)
        out.append(";".join(rng.choice(cats, size=k, replace=False, p=p)))
    return out


def cadres_from_units(rng, n, units, lat, lon, sd_km, prefix, surname_seed=""):
    pick = rng.integers(0, len(units), n)
    la, lo = scatter(rng, n, lat, lon, sd_km)
    return pd.DataFrame(
        {
            "id": [f"{prefix}{i:03d}" for i in range(1, n + 1)],
            "name": [f"驻企干部{i:03d}" for i in range(1, n + 1)],
            "home_unit": [units[k][0] for k in pick],
            "lat": la,
            "lon": lo,
            "skills": [units[k][1] for k in pick],
        }
    )


def yifeng() -> None:
    rng = np.random.default_rng(2020_04_07)
    # Yifeng county seat (宜丰县城) and its industrial park to the north-east
    cadres = cadres_from_units(rng, 192, COUNTY_UNITS, 28.393, 114.803, 4.0, "YF-C")
    la, lo = scatter(rng, 192, 28.42, 114.83, 3.0)
    cats = ["hiring", "logistics", "financing", "supplies", "policy", "permits"]
    firms = pd.DataFrame(
        {
            "id": [f"YF-F{i:03d}" for i in range(1, 193)],
            "name": [f"宜丰工业园企业{i:03d}" for i in range(1, 193)],
            "sector": rng.choice(["新材料", "竹木加工", "机械制造", "电子信息", "食品"], 192),
            "lat": la,
            "lon": lo,
            "employees": np.maximum(10, rng.lognormal(np.log(115), 0.6, 192).astype(int)),
            "priority": (rng.random(192) < 0.25).astype(int),
            "needs": needs_from(rng, 192, cats, [4, 3, 3, 2, 1, 1]),
        }
    )
    write_scenario(
        ROOT / "yifeng-2020", cadres, firms, "yifeng-2020",
        "Yifeng county, Yichun, Jiangxi (工人日报, 2020-04-07): 192 party cadres from county "
        "units, the industrial park and service units stationed one per firm in the 192 firms "
        "of the industrial park (一人一企、一企一策).",
        {"mode": "one_to_one", "max_distance_km": 40, "require_skills": "none",
         "objective": "cost", "skill_gap_km": 10, "time_limit_s": 60},
    )


def nanan() -> None:
    rng = np.random.default_rng(2020_03_05)
    cadres = pd.DataFrame(
        {"id": ["NA-C01"], "name": ["南安市某局副局长"], "home_unit": ["南安市直单位"],
         "lat": [24.960], "lon": [118.386], "skills": ["logistics;hiring;financing;policy"]}
    )
    la, lo = scatter(rng, 5, 24.95, 118.40, 6.0)
    firms = pd.DataFrame(
        {
            "id": [f"NA-F{i}" for i in range(1, 6)],
            "name": [f"南安规上企业{i}" for i in range(1, 6)],
            "sector": ["建材", "机械", "水暖卫浴", "纺织", "食品"],
            "lat": la, "lon": lo,
            "employees": [1200, 850, 2300, 640, 980],
            "priority": [1, 1, 1, 1, 1],
            # the article's problems: staff travel blocked at village roads, raw materials
            # blocked at highway exits, technicians unable to return, cash flow
            "needs": ["logistics;hiring", "logistics", "hiring", "financing", "logistics;financing"],
        }
    )
    write_scenario(
        ROOT / "nanan-2020", cadres, firms, "nanan-2020",
        "Nan'an, Quanzhou, Fujian (安溪人才网, 2020-03-05): one deputy bureau director linked "
        "to 5 large firms (挂钩联系), solved 14 problems; all 5 firms resumed work.",
        {"mode": "one_to_many", "max_firms_per_cadre": 5, "require_skills": "primary",
         "objective": "distance"},
        simulation={"days": 30, "arrival": {"rate_per_firm_day": 0.093}},
    )


def quanzhou() -> None:
    rng = np.random.default_rng(2020_03_06)
    units = [
        ("市委组织部", "policy;hiring"), ("市发改委", "policy;financing"),
        ("市工信局", "cost_reduction;supplies;sales"), ("市人社局", "hiring"),
        ("市交通运输局", "logistics"), ("市财政局", "financing"),
        ("市商务局", "sales;logistics"), ("市卫健委", "supplies"),
    ]
    # the departments' shares follow the firms' needs (hiring 4, financing 3, logistics 3,
    # supplies 2 of 12), so the 13 cadres can take all 31 firms as the article reports
    cadres = cadres_from_units(rng, 13, units, 24.874, 118.676, 6.0, "QZ-C")
    shares = [0, 0, 3, 3, 1, 1, 5, 4, 4, 6, 6, 2, 7]
    cadres["home_unit"] = [units[k][0] for k in shares]
    cadres["skills"] = [units[k][1] for k in shares]
    la, lo = scatter(rng, 31, 24.90, 118.60, 12.0)
    firms = pd.DataFrame(
        {
            "id": [f"QZ-F{i:02d}" for i in range(1, 32)],
            "name": [f"泉州民营企业{i:02d}" for i in range(1, 32)],
            "sector": rng.choice(["纺织鞋服", "建材", "食品", "机械", "石化"], 31),
            "lat": la, "lon": lo,
            "employees": np.maximum(50, rng.lognormal(np.log(600), 0.7, 31).astype(int)),
            "priority": (rng.random(31) < 0.3).astype(int),
            "needs": needs_from(rng, 31, ["hiring", "financing", "supplies", "logistics"],
                                [4, 3, 2, 3]),
        }
    )
    write_scenario(
        ROOT / "quanzhou-2020", cadres, firms, "quanzhou-2020",
        "Quanzhou, Fujian (安溪人才网, 2020-03-05): the city organisation department sent 13 "
        "cadres (section level and above) linked to 31 private firms; daily 三个一 cycle.",
        {"mode": "one_to_many", "max_firms_per_cadre": 3, "max_distance_km": 60,
         "require_skills": "primary", "objective": "distance"},
        simulation={"days": 60, "collection": "daily"},
    )


# Chosen by hand (see the scenario README) except the two fitted by `zhuqi calibrate`:
# escalation.cadre_solve_prob (to 56 of 140 answered on the spot) and
# escalation.department.mean_days (to 135 of 236 closed by day 120).
ZHANGYE_SIMULATION = {
    "days": 120,
    "warmup_days": 0,
    "arrival": {
        "rate_per_firm_day": 0.019094,
        "mix": {"financing": 54, "cost_reduction": 72, "hiring": 63, "policy": 27, "other": 20},
    },
    "collection": "daily",
    "service": "assigned",
    "hours_per_day": 8,
    "effort": {"distribution": "lognormal", "mean_hours": 6, "cv": 1.0, "unskilled_factor": 2.0},
    "escalation": {
        "enabled": True,
        "cadre_solve_prob": 0.86,
        "unskilled_solve_prob": 0.2,
        "home_unit": {"servers": 1, "mean_days": 10, "solve_prob": 0.3, "delay_days": 2,
                      "feedback_days": 1},
        "department": {"servers": 2, "mean_days": 45.2, "solve_prob": 1.0, "delay_days": 3,
                       "feedback_days": 2},
    },
    "travel": True,
    "speed_kmh": 30,
}


def zhangye() -> None:
    rng = np.random.default_rng(2022_07_25)
    cadres = cadres_from_units(rng, 103, ZHANGYE_UNITS, 38.926, 100.455, 5.0, "ZY-C")
    la, lo = scatter(rng, 103, 38.93, 100.45, 15.0)
    cats = ["financing", "cost_reduction", "hiring", "policy", "other"]
    firms = pd.DataFrame(
        {
            "id": [f"ZY-F{i:03d}" for i in range(1, 104)],
            "name": [f"张掖民营企业{i:03d}" for i in range(1, 104)],
            "sector": rng.choice(["农牧", "矿业", "生物科技", "食品", "鹿产品", "文旅"], 103),
            "lat": la, "lon": lo,
            "employees": np.maximum(10, rng.lognormal(np.log(150), 0.8, 103).astype(int)),
            "priority": (rng.random(103) < 0.2).astype(int),
            "needs": needs_from(rng, 103, cats, [54, 72, 63, 27, 20]),
        }
    )
    write_scenario(
        ROOT / "zhangye-2022", cadres, firms, "zhangye-2022",
        "Zhangye, Gansu (张掖市融媒体中心, 2022-11-22): 百名干部助百企 from 2022-07-25; 103 cadres "
        "each stationed in a private firm; 236 issues (financing 54, cost reduction 72, hiring 63, "
        "policy 27, other 20), 135 solved at about day 120; closed loop 交办、办理、反馈、评价.",
        {"mode": "one_to_one", "max_distance_km": 80, "objective": "cost", "skill_gap_km": 10},
        simulation=ZHANGYE_SIMULATION,
    )
    from zhangye_roads import main as zhangye_roads  # the generated road graph (see its README)

    zhangye_roads()
    yml = ROOT / "zhangye-2022" / "scenario.yaml"
    yml.write_text(yml.read_text(encoding="utf-8").replace(
        "firms: firms.csv\n", "firms: firms.csv\nroads: roads\n", 1), encoding="utf-8")


def zhangye_batch2() -> None:
    """The second batch: 40 of the 103 first-batch cadres rotate out, 40 new ones come in.

    The first batch's plan (solved from zhangye-2022 as shipped) is the previous plan; the
    share rotating out is chosen here, the article gives no batch sizes.
    """
    from assign import load_scenario, solve, write_pairs

    first = load_scenario(ROOT / "zhangye-2022")
    rng = np.random.default_rng(2022_11_22)
    plan = solve(first)
    folder = ROOT / "zhangye-2022-batch2"
    folder.mkdir(exist_ok=True)
    write_pairs(plan, folder / "previous.csv", "en")
    cadres = first.cadres[["id", "name", "home_unit", "lat", "lon"]].copy()
    cadres["skills"] = pd.read_csv(ROOT / "zhangye-2022" / "cadres.csv",
                                   encoding="utf-8-sig")["skills"]
    leaving = np.sort(rng.choice(len(cadres), 40, replace=False))
    staying = cadres.drop(index=leaving)
    new = cadres_from_units(rng, 40, ZHANGYE_UNITS, 38.926, 100.455, 5.0, "ZY-C")
    new["id"] = [f"ZY-C{i:03d}" for i in range(104, 144)]
    new["name"] = [f"驻企干部{i:03d}" for i in range(104, 144)]
    cadres = pd.concat([staying, new], ignore_index=True)
    firms = pd.read_csv(ROOT / "zhangye-2022" / "firms.csv", encoding="utf-8-sig", dtype=str)
    # the bureau that regulates each firm, for conflict-of-interest rules
    regulators = ["市市场监管局", "市生态环境局", "市应急管理局", "市地方金融监管局", "市商务局"]
    firms["regulator"] = rng.choice(regulators, len(firms))
    write_scenario(
        folder, cadres, firms, "zhangye-2022-batch2",
        "Zhangye, Gansu (张掖市融媒体中心, 2022-11-22): 百名干部助百企 sent 103 cadres in two "
        "batches. Generated second round: 40 first-batch cadres rotate out and 40 new ones come "
        "in; the first batch's plan (previous.csv) is kept where it can be.",
        {"mode": "one_to_one", "max_distance_km": 80, "objective": "cost", "skill_gap_km": 10,
         "previous": "previous.csv", "conflicts": [{"cadre": "home_unit", "firm": "regulator"}]},
        simulation=ZHANGYE_SIMULATION,
    )
    # example rule files, used by the README with --set (not by the yaml)
    kept = plan.pairs[plan.pairs["cadre_id"].isin(staying["id"])]
    pins = kept.iloc[:2][["cadre_id", "firm_id"]].assign(
        note=["已熟悉企业情况", "企业点名请求留任"])
    pairs = plan.pairs.set_index("firm_id")["cadre_id"]
    forbid = pd.DataFrame({
        "cadre_id": [pairs[kept["firm_id"].iat[5]], new["id"].iat[0]],
        "firm_id": [kept["firm_id"].iat[5], kept["firm_id"].iat[6]],
        "reason": ["亲属在该企业任职", "曾在该企业任职"]})
    from assign import write_csv

    write_csv(folder / "pinned.csv", pins)
    write_csv(folder / "forbidden.csv", forbid)


# Dadukou's home units: the united front (the district federation of industry and commerce,
# the seven democratic parties named in the article) and the district departments it names,
# with the categories their remit covers.
DADUKOU_UNITS = [
    ("区工商联", "financing;supplies;policy"),
    ("民革区委会", "policy;legal;financing"),
    ("民盟区委会", "policy;hiring"),
    ("民建区委会", "financing;cost_reduction"),
    ("民进区委会", "policy;permits;hiring"),
    ("农工党区委会", "supplies;safety;policy"),
    ("致公党区支部", "sales;logistics;financing"),
    ("九三学社区委会", "permits;legal"),
    ("区人力社保局", "hiring;policy"),
    ("区发展改革委", "policy;cost_reduction;permits"),
    ("区财政局", "financing;policy"),
    ("区商务委", "logistics;sales;cost_reduction"),
    ("区经济信息委", "permits;cost_reduction;logistics"),
    ("属地镇街", "permits;policy;hiring"),
    ("区交通局", "logistics;permits"),
]

# 建桥园区C区 is named in the article; the other 13 zones (the park's other parcels and the
# district's towns and streets) are named for this case.
DADUKOU_ZONES = [
    ("建桥园区A区", 29.410, 106.468), ("建桥园区B区", 29.402, 106.480),
    ("建桥园区C区", 29.395, 106.466), ("建桥园区D区", 29.388, 106.478),
    ("跳磴片区", 29.375, 106.452), ("建胜片区", 29.420, 106.458),
    ("八桥片区", 29.462, 106.490), ("茄子溪片区", 29.455, 106.470),
    ("新山村片区", 29.487, 106.484), ("跃进村片区", 29.480, 106.498),
    ("九宫庙片区", 29.496, 106.492), ("春晖路片区", 29.472, 106.478),
    ("钓鱼嘴片区", 29.440, 106.452), ("重钢片区", 29.470, 106.505),
]


def dadukou() -> None:
    rng = np.random.default_rng(2020_03_12)
    n_cadres = 64
    # each unit sends about the same number of cadres (unit order shuffled)
    pick = rng.permutation(np.arange(n_cadres) % len(DADUKOU_UNITS))
    la, lo = scatter(rng, n_cadres, 29.4843, 106.4823, 3.0)
    cadres = pd.DataFrame({
        "id": [f"DDK-C{i:03d}" for i in range(1, n_cadres + 1)],
        "name": [f"专班成员{i:03d}" for i in range(1, n_cadres + 1)],
        "home_unit": [DADUKOU_UNITS[k][0] for k in pick],
        "lat": la, "lon": lo,
        "skills": [DADUKOU_UNITS[k][1] for k in pick],
    })
    # the article's example: 建桥C区专班 led by a full-time deputy chair of the Democratic
    # League's district committee; that cadre may serve only zone C
    cadres.loc[0, ["name", "home_unit", "skills"]] = ["民盟区委会专职副主委", "民盟区委会",
                                                      "policy;hiring"]
    cadres["zone"] = ""
    cadres.loc[0, "zone"] = "建桥园区C区"
    per_zone = rng.integers(6, 15, len(DADUKOU_ZONES))
    zone = np.repeat([z for z, _, _ in DADUKOU_ZONES], per_zone)
    n = len(zone)
    lat = np.empty(n)
    lon = np.empty(n)
    start = 0
    for (_, zlat, zlon), k in zip(DADUKOU_ZONES, per_zone, strict=True):
        lat[start:start + k], lon[start:start + k] = scatter(rng, k, zlat, zlon, 0.5)
        start += k
    # the article's problems: weak awareness of policies, hiring, financing, cumbersome
    # resumption procedures, rent (cost reduction)
    needs = needs_from(rng, n, ["policy", "hiring", "financing", "permits", "cost_reduction"],
                       [4, 3, 3, 2, 1])
    # 28 supply firms (保供企业) whose transport had to be unblocked: key firms, logistics first
    supply = np.sort(rng.choice(n, 28, replace=False))
    for j in supply:
        needs[j] = "logistics" + ("" if rng.random() < 0.5 else ";" + needs[j].split(";")[0])
    # 40 firms short of masks and disinfectant, helped by the chamber of commerce
    short = rng.choice(np.setdiff1d(np.arange(n), supply), 40, replace=False)
    for j in short:
        needs[j] = needs[j].split(";")[0] + ";supplies"
    priority = np.zeros(n, dtype=int)
    priority[supply] = 1
    firms = pd.DataFrame(
        {
            "id": [f"DDK-F{i:03d}" for i in range(1, n + 1)],
            "name": [f"大渡口民营企业{i:03d}" for i in range(1, n + 1)],
            "sector": rng.choice(["机械制造", "生物医药", "新材料", "物流", "食品", "电子信息"], n),
            "lat": lat, "lon": lon,
            "employees": np.maximum(10, rng.lognormal(np.log(120), 0.8, n).astype(int)),
            "priority": priority,
            "needs": needs,
            "zone": zone,
        }
    )
    write_scenario(
        ROOT / "dadukou-2020", cadres, firms, "dadukou-2020",
        "Dadukou district, Chongqing (重庆日报, 2020): 14 resumption service task forces (企业复工复产"
        "服务专班), each covering a zone of the industrial parks, e.g. 建桥园区C区; masks for 40 "
        "firms, transport unblocked for 28 supply firms.",
        {"mode": "teams", "team_size_min": 3, "team_size_max": 5, "max_firms_per_cadre": 6,
         "require_skills": "primary", "objective": "distance", "time_limit_s": 15},
        simulation={"days": 60, "arrival": {"rate_per_firm_day": 0.093, "mix": {
            "policy": 4, "hiring": 3, "financing": 3, "permits": 2, "cost_reduction": 1,
            "logistics": 2, "supplies": 2}},
            "collection": "daily", "service": "team"},
    )


if __name__ == "__main__":
    yifeng()
    nanan()
    quanzhou()
    zhangye()
    zhangye_batch2()
    dadukou()
