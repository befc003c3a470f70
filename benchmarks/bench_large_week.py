"""A large world week after week: the default scenario at 100,000 members on the compiled path.

The model is built, then stepped week after week; each week's CPU time
(``time.process_time``) is recorded, detection weeks included (ecosystem detection
every 10 weeks: the first from scratch, the others warm-started).  Reported: the
build, every week, the averages over weeks 1-20 and from week 11 on (after the first
detection), and the detection weeks.  The target is 0.5 s a week averaged with the
detection weeks, and a build within 5 s.

Run:  python benchmarks/bench_large_week.py [--quick] [--size 100000] [--weeks 40] [--seed 1]

Results are printed and written to ``benchmarks/results/large_week.json``
(``large_week_quick.json`` with ``--quick``: 10,000 members, 20 weeks).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from results_file import HERE, machine, save


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10,000 members, 20 weeks")
    parser.add_argument("--size", type=int, default=None, help="members (default 100,000)")
    parser.add_argument("--weeks", type=int, default=None, help="weeks stepped (default 40)")
    parser.add_argument("--seed", type=int, default=1, help="the model's seed (default 1)")
    args = parser.parse_args()
    args.size = args.size or (10_000 if args.quick else 100_000)
    args.weeks = args.weeks or (20 if args.quick else 40)

    from simulation import GiveTakeModel

    load_start = os.getloadavg()
    t0 = time.process_time()
    model = GiveTakeModel(rng=args.seed, population__size=args.size, compiled=True)
    build = time.process_time() - t0
    print(f"{args.size:,} members built in {build:.2f} s of CPU", flush=True)
    weeks = []
    for _ in range(args.weeks):
        t0 = time.process_time()
        model.step()
        weeks.append(time.process_time() - t0)
    found = model.mechanism("ecosystems")
    detections = {w: weeks[w - 1] for w in (found.detections if found else []) if 1 <= w <= args.weeks}
    ordinary = [s for w, s in enumerate(weeks, 1) if w not in detections]
    figures = {
        "members": args.size,
        "seed": args.seed,
        "build_s": build,
        "week_s": weeks,
        "mean_weeks_1_20_s": statistics.mean(weeks[:20]),
        "mean_from_week_11_s": statistics.mean(weeks[10:]) if len(weeks) > 10 else None,
        "median_ordinary_week_s": statistics.median(ordinary) if ordinary else None,
        "detection_weeks_s": {str(w): s for w, s in detections.items()},
        "machine": machine(load_start, os.getloadavg()),
    }
    print("weeks:", " ".join(f"{s:.3f}" for s in weeks))
    print(f"mean over weeks 1-20: {figures['mean_weeks_1_20_s']:.3f} s", end="")
    if figures["mean_from_week_11_s"] is not None:
        print(f"; from week 11 on: {figures['mean_from_week_11_s']:.3f} s", end="")
    print(f"; ordinary weeks (median): {figures['median_ordinary_week_s']:.3f} s")
    print("detection weeks:", ", ".join(f"{w}: {s:.3f} s" for w, s in detections.items()))
    print(f"(load {figures['machine']['load_average_start']} -> {figures['machine']['load_average_end']})")
    save(HERE / "results" / ("large_week_quick.json" if args.quick else "large_week.json"), figures)


if __name__ == "__main__":
    main()
