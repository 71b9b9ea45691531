"""Why a plan is what it is: explanations from the flow's certificate, infeasibility
reasons, plan diffs and trade-off curves."""
