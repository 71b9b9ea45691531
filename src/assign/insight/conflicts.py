"""Why a plan is infeasible: the smallest sets of rules that conflict, in words.

The check lives in :mod:`assign.conflicts` (below :mod:`assign.solve`, which calls it);
its names are kept here.
"""

from ..conflicts import Conflict as Conflict
from ..conflicts import explain_infeasible as explain_infeasible
from ..conflicts import pin_conflicts as pin_conflicts
