"""Infeasible is a status with a reason: the smallest sets of rules that conflict, in words.

Two ways, both exact:

- **Direct counting** where the arithmetic is the whole story: a firm pinned to two
  cadres; a pin on a forbidden or conflicting pair; a cadre pinned to more firms than its
  ``max_firms`` (any ``max_firms + 1`` of its pins conflict); pins whose loads exceed a
  ``max_workload`` (the heaviest pins until the sum exceeds it: dropping any one of them
  fits); pins naming more cadres than ``max_cadres``; more firms forced to change cadre
  than ``max_changes`` allows.
- **CP-SAT assumption literals** for everything else (e.g. ``max_changes`` against
  reduced limits): one literal per rule, the solver's infeasible core, then shrunk one rule
  at a time (one worker, so the answer is reproducible) until dropping any rule left makes
  the rest feasible.

Each :class:`Conflict` names its rules (file, line, id) and says why in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .rules import conflict_codes, pair_keys, rule_label


@dataclass(frozen=True)
class Conflict:
    """A set of rules that cannot hold together (dropping any one of them can).

    Attributes:
        rules: Identifiers of the rules: ``pin:K`` (row K of the pinned table),
            ``max_firms:ID``, ``max_workload:ID``, ``max_cadres``, ``max_changes``,
            ``forbidden:K``, ``conflicts:K``, ``previous:FIRM_ID`` (a firm forced to change).
        text: The conflict in plain words.
    """

    rules: tuple[str, ...]
    text: str

    def __str__(self) -> str:
        return self.text


def _lines(lines) -> str:
    lines = [int(x) for x in lines]
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(map(str, lines))


def _ids(ids) -> str:
    ids = [str(x) for x in ids]
    return ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + " and " + ids[-1]


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def pin_conflicts(scenario, pinned, previous: pd.DataFrame | None = None) -> list[Conflict]:
    """Conflicts found by counting among pins, limits, exclusions, budget and max_changes.

    Args:
        scenario: The full scenario (with ``pinned``).
        pinned: The pinned pairs as candidates (:func:`assign.pins.pinned_candidates`).
        previous: Last round's pairs, for ``max_changes``.
    """
    cfg = scenario.config.assignment
    cadres, firms = scenario.cadres, scenario.firms
    cid, fid = cadres["id"].to_numpy(), firms["id"].to_numpy()
    out: list[Conflict] = []
    k = len(pinned)
    pins = scenario.pinned
    label = rule_label(scenario, "pinned")
    lines = pins["line"].to_numpy() if k else np.zeros(0, int)
    ci, fi = pinned.cadre, pinned.firm
    # a firm pinned to two cadres
    for f in np.flatnonzero(np.bincount(fi, minlength=len(firms)) > 1) if k else []:
        rows = np.flatnonzero(fi == f)[:2]
        out.append(Conflict(tuple(f"pin:{r}" for r in rows),
                            f"firm {fid[f]} is pinned to two cadres, {cid[ci[rows[0]]]} and "
                            f"{cid[ci[rows[1]]]} ({label}, {_lines(lines[rows])})"))
    # pins on excluded pairs
    if k and scenario.forbidden is not None and len(scenario.forbidden):
        keys = ci.astype(np.int64) * len(firms) + fi
        forb = scenario.forbidden
        fkeys = (pd.Index(cadres["id"]).get_indexer(forb["cadre_id"]).astype(np.int64)
                 * len(firms) + pd.Index(firms["id"]).get_indexer(forb["firm_id"]))
        flabel = rule_label(scenario, "forbidden")
        for r in np.flatnonzero(np.isin(keys, pair_keys(scenario, forb))):
            q = int(np.flatnonzero(fkeys == keys[r])[0])
            why = str(forb["reason"].iat[q]) if "reason" in forb.columns else ""
            out.append(Conflict((f"pin:{r}", f"forbidden:{q}"),
                                f"{label}, line {int(lines[r])} pins cadre {cid[ci[r]]} to firm "
                                f"{fid[fi[r]]}, but {flabel}, line {int(forb['line'].iat[q])} "
                                f"forbids that pair" + (f" ({why})" if why else "")))
    for c_no, ((cc, fc), rule) in enumerate(zip(conflict_codes(scenario), cfg.conflicts,
                                                strict=True)):
        if not k:
            break
        hit = (cc[ci] >= 0) & (cc[ci] == fc[fi])
        for r in np.flatnonzero(hit):
            value = cadres[rule.cadre].iat[ci[r]]
            out.append(Conflict((f"pin:{r}", f"conflicts:{c_no}"),
                                f"{label}, line {int(lines[r])} pins cadre {cid[ci[r]]} to firm "
                                f"{fid[fi[r]]}, but the cadre's {rule.cadre} and the firm's "
                                f"{rule.firm} are both '{value}' (assignment.conflicts[{c_no}])"))
    max_firms = cadres["max_firms"].to_numpy(float)
    max_work = cadres["max_workload"].to_numpy(float)
    for c in np.unique(ci) if k else []:
        rows = np.flatnonzero(ci == c)
        cap = max_firms[c]
        if not np.isnan(cap) and len(rows) > cap:
            take = rows[: int(cap) + 1]
            limit = ("mode one_to_one" if cfg.mode == "one_to_one" else "max_firms")
            out.append(Conflict(
                (*(f"pin:{r}" for r in take), f"max_firms:{cid[c]}"),
                f"cadre {cid[c]} is pinned to {len(rows)} firms ({_ids(fid[fi[rows]])}: {label}, "
                f"{_lines(lines[rows])}) but may serve {int(cap)} ({limit})"))
        cap_w = max_work[c]
        if not np.isnan(cap_w) and pinned.load[rows].sum() > cap_w + 1e-9:
            order = rows[np.argsort(-pinned.load[rows], kind="stable")]
            take = order[: int(np.searchsorted(np.cumsum(pinned.load[order]), cap_w + 1e-9,
                                               side="right")) + 1]
            total = pinned.load[take].sum()
            who = f"firms {_ids(fid[fi[take]])} are" if len(take) > 1 else f"firm {fid[fi[take[0]]]} is"
            out.append(Conflict(
                (*(f"pin:{r}" for r in sorted(take)), f"max_workload:{cid[c]}"),
                f"{who} pinned to cadre {cid[c]} ({label}, {_lines(sorted(lines[take]))}), whose "
                f"max_workload is {_fmt(cap_w)} h; their loads sum to {_fmt(total)} h"))
    if cfg.max_cadres is not None and k:
        used, first = np.unique(ci, return_index=True)
        if len(used) > cfg.max_cadres:
            take = np.sort(first)[: cfg.max_cadres + 1]
            out.append(Conflict(
                (*(f"pin:{r}" for r in take), "max_cadres"),
                f"pins name {len(used)} different cadres ({_ids(cid[ci[take]])}: {label}, "
                f"{_lines(lines[take])}, ...) but assignment.max_cadres is {cfg.max_cadres}"))
    if cfg.max_changes is not None and previous is not None:
        out += _forced_changes(scenario, pinned, previous, cfg.max_changes)
    return out


def _forced_changes(scenario, pinned, previous, max_changes: int) -> list[Conflict]:
    """Firms that must change cadre whatever the plan, against ``max_changes``."""
    from .candidates import build_candidates

    cadres, firms = scenario.cadres, scenario.firms
    listed = previous[previous["firm_id"].isin(firms["id"])]
    fi = pd.Index(firms["id"]).get_indexer(listed["firm_id"])
    ci = pd.Index(cadres["id"]).get_indexer(listed["cadre_id"])
    cand = build_candidates(scenario, with_load=False)
    admissible = set((cand.cadre.astype(np.int64) * len(firms) + cand.firm).tolist())
    pin_of = dict(zip(pinned.firm.tolist(), pinned.cadre.tolist(), strict=True))
    forced: list[tuple[str, str]] = []
    for f, c, cad in zip(fi.tolist(), ci.tolist(), listed["cadre_id"], strict=True):
        if c < 0:
            forced.append((f"previous:{firms['id'].iat[f]}",
                           f"{firms['id'].iat[f]} (its cadre {cad} is no longer listed)"))
        elif f in pin_of and pin_of[f] != c:
            forced.append((f"previous:{firms['id'].iat[f]}",
                           f"{firms['id'].iat[f]} (pinned to {cadres['id'].iat[pin_of[f]]}, "
                           f"was {cad})"))
        elif f not in pin_of and c * len(firms) + f not in admissible:
            forced.append((f"previous:{firms['id'].iat[f]}",
                           f"{firms['id'].iat[f]} (its pair with {cad} is no longer admissible)"))
    if len(forced) <= max_changes:
        return []
    take = forced[: max_changes + 1]
    return [Conflict((*(r for r, _ in take), "max_changes"),
                     f"assignment.max_changes is {max_changes} but {len(forced)} firms must change "
                     f"cadre: " + "; ".join(t for _, t in forced[:10])
                     + ("; ..." if len(forced) > 10 else ""))]


def explain_infeasible(scenario, previous: pd.DataFrame | None, time_limit: float = 60.0,
                       ) -> list[Conflict]:
    """The smallest set of rules that conflict, from CP-SAT assumption literals.

    Every rule that can make a plan impossible gets one literal: each pin, each cadre's
    ``max_firms`` and ``max_workload``, ``max_cadres`` and ``max_changes``. CP-SAT (one
    worker) returns an infeasible core; each rule of it is then dropped in turn and kept
    out when the rest is still infeasible, so the answer is minimal: dropping any one of
    its rules leaves a feasible set.
    """
    from ortools.sat.python import cp_model

    from .candidates import build_candidates
    from .changes import had_cadre, previous_cadre
    from .pins import pinned_candidates

    cfg = scenario.config.assignment
    cadres, firms = scenario.cadres, scenario.firms
    cid, fid = cadres["id"].to_numpy(), firms["id"].to_numpy()
    cand = build_candidates(scenario, with_load=True)
    pinned = pinned_candidates(scenario)
    n = len(firms)
    keys = cand.cadre.astype(np.int64) * n + cand.firm
    pkeys = pinned.cadre.astype(np.int64) * n + pinned.firm
    extra = ~np.isin(pkeys, keys)
    cadre = np.concatenate([cand.cadre, pinned.cadre[extra]]).astype(np.int64)
    firm = np.concatenate([cand.firm, pinned.firm[extra]]).astype(np.int64)
    assert cand.load is not None and pinned.load is not None
    from .solvers.coverage import scaled_loads

    load, work_cap, _, _ = scaled_loads(np.concatenate([cand.load, pinned.load[extra]]),
                                        cadres["max_workload"].to_numpy(float))
    index = {int(k): p for p, k in enumerate((cadre * n + firm).tolist())}

    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{p}") for p in range(len(cadre))]
    by_firm: dict[int, list[int]] = {}
    by_cadre: dict[int, list[int]] = {}
    for p, (c, f) in enumerate(zip(cadre.tolist(), firm.tolist(), strict=True)):
        by_firm.setdefault(f, []).append(p)
        by_cadre.setdefault(c, []).append(p)
    for ps in by_firm.values():
        model.add_at_most_one([x[p] for p in ps])
    rules: list[tuple[str, str, cp_model.IntVar]] = []

    def rule(name: str, text: str):
        lit = model.new_bool_var(name)
        rules.append((name, text, lit))
        return lit

    label = rule_label(scenario, "pinned")
    for k in range(len(pinned)):
        p = index[int(pkeys[k])]
        line = int(scenario.pinned["line"].iat[k])
        lit = rule(f"pin:{k}", f"{label}, line {line} pins cadre {cid[pinned.cadre[k]]} to firm "
                               f"{fid[pinned.firm[k]]}")
        model.add(x[p] == 1).only_enforce_if(lit)
    max_firms = cadres["max_firms"].to_numpy(float)
    max_work = cadres["max_workload"].to_numpy(float)
    for c, ps in sorted(by_cadre.items()):
        if not np.isnan(max_firms[c]) and len(ps) > max_firms[c]:
            lit = rule(f"max_firms:{cid[c]}",
                       f"cadre {cid[c]} may serve {int(max_firms[c])} firms (max_firms)")
            model.add(sum(x[p] for p in ps) <= int(max_firms[c])).only_enforce_if(lit)
        if work_cap[c] >= 0 and load[ps].sum() > work_cap[c]:
            lit = rule(f"max_workload:{cid[c]}",
                       f"cadre {cid[c]}'s max_workload is {_fmt(max_work[c])} h")
            model.add(sum(int(load[p]) * x[p] for p in ps) <= int(work_cap[c])).only_enforce_if(lit)
    if cfg.max_cadres is not None:
        use = []
        for c, ps in sorted(by_cadre.items()):
            u = model.new_bool_var(f"u{c}")
            for p in ps:
                model.add_implication(x[p], u)
            use.append(u)
        lit = rule("max_cadres", f"at most {cfg.max_cadres} cadres (assignment.max_cadres)")
        model.add(sum(use) <= cfg.max_cadres).only_enforce_if(lit)
    if cfg.max_changes is not None and previous is not None:
        had = int(had_cadre(scenario, previous).sum())
        prev = previous_cadre(scenario, previous)
        kept = [x[p] for p in range(len(cadre)) if prev[firm[p]] == cadre[p]]
        lit = rule("max_changes", f"at most {cfg.max_changes} of the {had} firms paired last "
                                  f"round may change cadre (assignment.max_changes)")
        model.add(sum(kept) >= had - cfg.max_changes).only_enforce_if(lit)

    def infeasible(active: list[int]) -> tuple[bool, list[int]]:
        model.clear_assumptions()
        model.add_assumptions([rules[r][2] for r in active])
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = max(time_limit / 4, 1.0)
        st = solver.solve(model)
        if st != cp_model.INFEASIBLE:
            return False, active
        core = {v for v in solver.sufficient_assumptions_for_infeasibility()}
        by_index = {rules[r][2].index: r for r in active}
        return True, sorted(by_index[v] for v in core if v in by_index) or active

    bad, core = infeasible(list(range(len(rules))))
    if not bad:
        return [Conflict((), "no plan was found within the time limit, and none was proven "
                             "impossible; try a longer --time-limit")]
    for r in list(core):
        if r not in core:
            continue
        trial = [q for q in core if q != r]
        still, smaller = infeasible(trial)
        if still:
            core = smaller if set(smaller) <= set(trial) else trial
    names = tuple(rules[r][0] for r in core)
    text = "these rules cannot all hold: " + "; ".join(rules[r][1] for r in core)
    return [Conflict(names, text)]
