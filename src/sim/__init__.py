"""zhuqi.sim: how many cadres do we need? A Mesa model of issues raised and solved.

Typical use::

    from assign import load_scenario
    from sim import simulate_scenario
    result = simulate_scenario(load_scenario("scenarios/zhangye-2022"), replications=20)
    result.summary()["metrics"]["resolution_rate"]
"""

from . import _mesa  # noqa: F401 (first: Mesa imported without its stack walk)
from .agents import CadreAgent as CadreAgent
from .agents import FirmAgent as FirmAgent
from .agents import PoolAgent as PoolAgent
from .batches import BatchPlan as BatchPlan
from .batches import plan_batches as plan_batches
from .config import SimulationConfig as SimulationConfig
from .config import simulation_config as simulation_config
from .erlang import erlang_c as erlang_c
from .erlang import mmc_mean_sojourn as mmc_mean_sojourn
from .erlang import mmc_mean_wait as mmc_mean_wait
from .experiment import ComparisonResult as ComparisonResult
from .experiment import SimulationResult as SimulationResult
from .experiment import compare_staffing as compare_staffing
from .experiment import prepare_pairing as prepare_pairing
from .experiment import run_once as run_once
from .experiment import simulate_scenario as simulate_scenario
from .experiment import staffing_scenario as staffing_scenario
from .metrics import METRICS as METRICS
from .metrics import km_median as km_median
from .metrics import metric_names as metric_names
from .model import ServiceModel as ServiceModel
