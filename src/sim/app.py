"""The researchers' dashboard: a Mesa SolaraViz page (UI only; nothing imports this module).

Started by ``zhuqi dashboard PATH``, which sets ``ZHUQI_DASHBOARD_SCENARIO`` to the
scenario (``ZHUQI_DASHBOARD_LANG``: en or zh; ``ZHUQI_DASHBOARD_DEV=1`` shows Mesa's
developer controls) and runs ``solara run sim.app``. Controls: number of cadres,
collection policy, department capacity and seed, each slider with its value shown;
charts of open issues, resolution rate and utilisation against days; Step (one day),
Play and Reset. Mesa's own controls (play and render intervals, threads) are hidden
unless asked for: they tune the page, not the model.
"""

from __future__ import annotations

import os
import types
from functools import lru_cache

import solara
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from mesa.visualization import SolaraViz
from mesa.visualization import solara_viz as _viz
from mesa.visualization.utils import update_counter

from assign import Pairing, load_scenario
from sim.batches import BatchPlan
from sim.config import SimulationConfig, simulation_config
from sim.experiment import prepare_pairing, staffing_scenario
from sim.model import ServiceModel
from sim.plots import cjk_font

SCENARIO = load_scenario(os.environ.get("ZHUQI_DASHBOARD_SCENARIO", "scenarios/zhangye-2022"))
BASE = simulation_config(SCENARIO)
MAX_CADRES = len(SCENARIO.cadres)


@lru_cache(maxsize=32)
def _pairing(cadres: int) -> Pairing | BatchPlan | None:
    return prepare_pairing(staffing_scenario(SCENARIO, cadres), BASE)


def _config(collection: str, escalation_capacity: int) -> SimulationConfig:
    data = BASE.model_dump()
    data["collection"] = collection
    data["escalation"]["department"]["servers"] = int(escalation_capacity)
    return SimulationConfig.model_validate(data)


class DashboardModel(ServiceModel):
    """The service model with the dashboard's controls as keyword arguments."""

    def __init__(
        self,
        cadres: int = MAX_CADRES,
        collection: str = BASE.collection,
        escalation_capacity: int = BASE.escalation.department.servers,
        seed: int = 0,
    ) -> None:
        cfg = _config(collection, escalation_capacity)
        scenario = staffing_scenario(SCENARIO, int(cadres))
        pairing = _pairing(int(cadres)) if cfg.service == "assigned" else None
        super().__init__(scenario, pairing, cfg, int(seed))


LANG = os.environ.get("ZHUQI_DASHBOARD_LANG", "en")
DEV = os.environ.get("ZHUQI_DASHBOARD_DEV", "") == "1"
WORDS = {
    "cadres": ("Number of cadres", "驻企干部人数"),
    "collection": ("Collection policy", "问题收集方式"),
    "escalation_capacity": ("Department capacity (parallel cases)", "职能部门并行办理件数"),
    "seed": ("Seed", "随机种子"),
    "open_issues": ("open issues", "未办结问题（件）"),
    "resolution_rate": ("resolution rate", "办结率"),
    "utilization": ("cadre utilisation", "干部忙碌程度"),
    "day": ("day", "天"),
}
POLICIES = {"immediate": "随时收集", "daily": "每天收集（三个一）", "weekly": "每周收集"}


def word(key: str) -> str:
    en, zh = WORDS[key]
    return zh if LANG == "zh" else en


MODEL_PARAMS = {
    "cadres": {"type": "SliderInt", "value": MAX_CADRES, "label": word("cadres"),
               "min": 1, "max": MAX_CADRES, "step": 1},
    "collection": {"type": "Select", "value": BASE.collection, "label": word("collection"),
                   "values": ["immediate", "daily", "weekly"]},
    "escalation_capacity": {"type": "SliderInt", "value": BASE.escalation.department.servers,
                            "label": word("escalation_capacity"), "min": 1,
                            "max": 20, "step": 1},
    "seed": {"type": "SliderInt", "value": 0, "label": word("seed"), "min": 0, "max": 99, "step": 1},
}


def _slider(component):
    """Mesa's slider, with its value always shown on the thumb."""
    def slider(*args, **kwargs):
        kwargs.setdefault("thumb_label", "always")
        return component(*args, **kwargs)
    return slider


# SolaraViz draws its inputs with the ``solara`` module it imported; it gets a copy whose
# sliders show their values (solara itself is left as it is).
_solara = types.ModuleType("solara_for_mesa")
_solara.__dict__.update(solara.__dict__)
_solara.SliderInt = _slider(solara.SliderInt)  # type: ignore[attr-defined]
_solara.SliderFloat = _slider(solara.SliderFloat)  # type: ignore[attr-defined]
_viz.solara = _solara  # type: ignore[attr-defined]


def series_chart(measure: str):
    """A chart of one daily series against days (the DataCollector records once a day)."""

    @solara.component
    def chart(model):
        update_counter.get()
        df = model.datacollector.get_model_vars_dataframe()
        fig = Figure(figsize=(6, 3))
        ax = fig.subplots()
        ax.plot(df.index.to_numpy(), df[measure].to_numpy())
        ax.set_xlabel(word("day"), family=_FONT)
        ax.set_ylabel(word(measure), family=_FONT)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        solara.FigureMatplotlib(fig, format="png", bbox_inches="tight")

    return chart


_FONT = cjk_font() if LANG == "zh" else None
if LANG == "zh" and _FONT is None:  # no font for Chinese in the charts: English there
    WORDS.update({k: (en, en) for k, (en, _) in WORDS.items()
                  if k in ("open_issues", "resolution_rate", "utilization", "day")})

HIDE_DEV = """
.v-navigation-drawer .v-card:first-of-type .v-input { display: none !important; }
.v-tabs-bar:not(:has(.v-tab ~ .v-tab)) { display: none !important; }
"""
"""Mesa's Controls card holds its developer inputs (play and render intervals, threads)
first, before the Step / Play / Reset buttons; the page tab bar shows "Page 0" alone."""

model = DashboardModel()


@solara.component
def page():
    if not DEV:
        solara.Style(HIDE_DEV)
    SolaraViz(
        model,
        components=[
            series_chart("open_issues"),
            series_chart("resolution_rate"),
            series_chart("utilization"),
        ],
        model_params=MODEL_PARAMS,
        name=f"zhuqi: {SCENARIO.name}",
    )
