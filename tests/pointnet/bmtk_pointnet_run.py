"""Run in a subprocess: one bmtk PointNet simulation, timed (the parity and benchmark oracle).

    python bmtk_pointnet_run.py CONFIG.json [--timings FILE.json]

PointNet is run the standard way (Config.from_json, build_env, PointNetwork.from_config,
PointSimulator.from_config, run). ``setup`` is everything before ``run``; ``peak_rss_mb`` is the
process's maxrss.
"""

import argparse
import json
import resource
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("config")
    parser.add_argument("--timings", default=None)
    args = parser.parse_args()
    start = time.perf_counter()
    from bmtk.simulator import pointnet

    config = pointnet.Config.from_json(args.config)
    config.build_env()
    network = pointnet.PointNetwork.from_config(config)
    sim = pointnet.PointSimulator.from_config(config, network)
    setup = time.perf_counter() - start
    start = time.perf_counter()
    sim.run()
    timings = {"setup": setup, "simulate": time.perf_counter() - start,
               "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if args.timings:
        with open(args.timings, "w") as f:
            json.dump(timings, f)


if __name__ == "__main__":
    main()
