"""Peer: the M/M/c queue in SimPy, as a whole process. Prints the mean wait (days).

Usage: python mmc_simpy.py LAMBDA MU C DAYS WARMUP SEED
"""

import sys

import numpy as np
import simpy


def main() -> None:
    lam, mu, c, days, warmup, seed = (float(a) for a in sys.argv[1:7])
    rng = np.random.default_rng(int(seed))
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=int(c))
    waits: list[float] = []

    def issue(env, raised):
        with servers.request() as req:
            yield req
            if raised >= warmup:
                waits.append(env.now - raised)
            yield env.timeout(rng.exponential(1.0 / mu))

    def source(env):
        while True:
            yield env.timeout(rng.exponential(1.0 / lam))
            env.process(issue(env, env.now))

    env.process(source(env))
    env.run(until=days)
    print(f"{np.mean(waits):.6f} {len(waits)}")


main()
