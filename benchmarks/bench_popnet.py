"""PopNet benchmark: the density solver against the direct simulation of the same LIF model.

    python benchmarks/bench_popnet.py                          # 4 and 100 populations, dv = 0.1 mV
    python benchmarks/bench_popnet.py --pops 4 --direct-neurons 10000 --direct-tstop 0.2

The network (random, seeded): populations 80 % excitatory, 20 % inhibitory, every pair connected,
each pair with its own weight and delay: a neuron receives 80 excitatory synapses (split over the
excitatory populations, +0.2..0.3 mV each) and 40 inhibitory ones (-0.6..-0.9 mV), delays 1-3 ms,
plus one external Poisson input (1.2 kHz, +0.75 mV); rates settle at 6-9 Hz. Grid of BMTK's tutorial
model files: v_min -50 mV, threshold 20 mV, dv 0.1 mV (700 bins), tau_m 20 ms, reset 0.
Printed per population count: wall time per simulated second of the solver (update_method approx,
dt 0.1 ms and 1 ms) and of the direct simulation (N neurons per population, dt 0.1 ms), each run
for the given time and scaled, and the mean rates over the second half of each run.
Target: 4 populations x 1 s in under 1 s. The machine's load average is printed: timings taken
while other jobs run are slower.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from simlib.popnet import Connection, LIFPopulation, PopulationNetwork, simulate_direct, solve


def make_network(n_pops: int, seed: int = 0, dv: float = 1e-4) -> PopulationNetwork:
    rng = np.random.default_rng(seed)
    n_exc = max(1, int(round(0.8 * n_pops)))
    n_inh = max(1, n_pops - n_exc)
    pops = [LIFPopulation(tau_m=0.02, v_min=-0.05, v_max=0.02, dv=dv) for _ in range(n_pops)]
    conns = []
    for t in range(n_pops):
        conns.append(Connection(n_pops, t, 7.5e-4, 1.0))
        for s in range(n_pops):
            exc = s < n_exc
            nsyns = (80.0 / n_exc if exc else 40.0 / n_inh) * rng.uniform(0.9, 1.1)
            weight = rng.uniform(2e-4, 3e-4) if exc else -rng.uniform(6e-4, 9e-4)
            conns.append(Connection(s, t, weight, nsyns, rng.uniform(0.001, 0.003)))
    return PopulationNetwork(pops, [1200.0], conns)


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pops", type=int, nargs="+", default=[4, 100])
    parser.add_argument("--tstop", type=float, nargs="+", default=[1.0, 0.1],
                        help="solver run (s) per population count; default 1 (4 pops) 0.1 (100 pops)")
    parser.add_argument("--direct-neurons", type=int, default=10_000, help="neurons per population; default 10000")
    parser.add_argument("--direct-tstop", type=float, nargs="+", default=[0.5, 0.02],
                        help="direct run (s) per population count; default 0.5 (4 pops) 0.02 (100 pops)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'pops':>5} {'method':>28} {'sim (s)':>8} {'wall (s)':>9} {'wall per sim s':>15}  mean rates (Hz)")
    for k, n_pops in enumerate(args.pops):
        net = make_network(n_pops)
        rows = []
        tstop = args.tstop[min(k, len(args.tstop) - 1)]
        for dt in (1e-4, 1e-3):
            result, wall = timed(solve, net, max(tstop, 20 * dt), dt)
            rows.append((f"density, dt {dt * 1e3:g} ms", max(tstop, 20 * dt), wall,
                         result.mean_rates(max(tstop, 20 * dt) / 2),
                         np.abs(result.mass - 1).max()))
        direct_t = args.direct_tstop[min(k, len(args.direct_tstop) - 1)]
        result, wall = timed(simulate_direct, net, args.direct_neurons, direct_t, 1e-4, seed=1)
        rows.append((f"direct, {args.direct_neurons} neurons/pop", direct_t, wall, result.mean_rates(direct_t / 2),
                     None))
        for name, sim, wall, rates, mass in rows:
            shown = np.array2string(rates[:4], precision=2) + (" ..." if rates.size > 4 else "")
            extra = "" if mass is None else f"  |mass-1| <= {mass:.1e}"
            print(f"{n_pops:>5} {name:>28} {sim:>8g} {wall:>9.2f} {wall / sim:>15.2f}  {shown}{extra}")


if __name__ == "__main__":
    main()
