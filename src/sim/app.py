"""The planners' dashboard: a Mesa SolaraViz page (UI only; nothing imports this module).

Started by ``zhuqi dashboard PATH``, which sets ``ZHUQI_DASHBOARD_SCENARIO`` to the
scenario and runs ``solara run sim.app``. Controls: number of cadres, collection policy,
department capacity and seed; charts of open issues, resolution rate and utilisation;
Step (one day), Play and Reset.
"""

from __future__ import annotations

import os
from functools import lru_cache

from mesa.visualization import SolaraViz, make_plot_component

from assign import Pairing, load_scenario
from sim.batches import BatchPlan
from sim.config import SimulationConfig, simulation_config
from sim.experiment import prepare_pairing, staffing_scenario
from sim.model import ServiceModel

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


MODEL_PARAMS = {
    "cadres": {"type": "SliderInt", "value": MAX_CADRES, "label": "Number of cadres",
               "min": 1, "max": MAX_CADRES, "step": 1},
    "collection": {"type": "Select", "value": BASE.collection, "label": "Collection policy",
                   "values": ["immediate", "daily", "weekly"]},
    "escalation_capacity": {"type": "SliderInt", "value": BASE.escalation.department.servers,
                            "label": "Department capacity (parallel cases)", "min": 1,
                            "max": 20, "step": 1},
    "seed": {"type": "SliderInt", "value": 0, "label": "Seed", "min": 0, "max": 99, "step": 1},
}

model = DashboardModel()
page = SolaraViz(
    model,
    components=[
        make_plot_component("open_issues"),
        make_plot_component("resolution_rate"),
        make_plot_component("utilization"),
    ],
    model_params=MODEL_PARAMS,
    name=f"zhuqi: {SCENARIO.name}",
)
