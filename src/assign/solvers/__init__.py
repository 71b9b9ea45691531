"""The assignment solvers: min-cost flow, province-scale pricing, CP-SAT, neighbourhood
search, GAP, balance and task forces."""
