"""Peer: the M/M/c queue in Ciw, as a whole process. Prints the mean wait (days).

Usage: python mmc_ciw.py LAMBDA MU C DAYS WARMUP SEED
"""

import sys

import ciw


def main() -> None:
    lam, mu, c, days, warmup, seed = (float(a) for a in sys.argv[1:7])
    ciw.seed(int(seed))
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(lam)],
        service_distributions=[ciw.dists.Exponential(mu)],
        number_of_servers=[int(c)],
    )
    q = ciw.Simulation(network)
    q.simulate_until_max_time(days)
    waits = [r.waiting_time for r in q.get_all_records() if r.arrival_date >= warmup]
    print(f"{sum(waits) / len(waits):.6f} {len(waits)}")


main()
