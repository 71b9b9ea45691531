"""Closed-form M/M/c results (Erlang C): the simulation's correctness anchor."""

from __future__ import annotations


def erlang_c(c: int, offered: float) -> float:
    """Probability that an arrival waits in an M/M/c queue.

    Args:
        c: Number of servers.
        offered: Offered load a = lambda / mu (must be below c).
    """
    if offered >= c:
        raise ValueError(f"offered load {offered} must be below the {c} servers")
    # Erlang B by its stable recursion, then C from B
    b = 1.0
    for k in range(1, c + 1):
        b = offered * b / (k + offered * b)
    rho = offered / c
    return b / (1.0 - rho + rho * b)


def mmc_mean_wait(arrival_rate: float, service_rate: float, c: int) -> float:
    """Mean time in queue (before service starts) of an M/M/c queue."""
    a = arrival_rate / service_rate
    return erlang_c(c, a) / (c * service_rate - arrival_rate)


def mmc_mean_sojourn(arrival_rate: float, service_rate: float, c: int) -> float:
    """Mean time in system (wait plus service) of an M/M/c queue."""
    return mmc_mean_wait(arrival_rate, service_rate, c) + 1.0 / service_rate
