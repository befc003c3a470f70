"""Frame time of the classroom app: model step + layout + drawing + serialisation.

One frame of the app is: step the model one week, relax the persistent
layout, draw the network and the four live charts as SVG, and serialise what
is sent to the browser (JSON).  The ``page`` column adds what the served page
does on top: the moving part of the Solara page re-rendered into widget
state, with a member open in the inspector.  The target is 500 members at 5
frames per second or more (200 ms per frame), judged on the ``page`` column.

The baseline, measured in the same run on the same models, is the usual way
of drawing a changing network (what Mesa's network drawing does): a networkx
snapshot, a spring layout computed from scratch, a matplotlib picture saved
as PNG and sent base64-encoded.

Times are CPU time of this process (``time.process_time``), steadier than
wall-clock time on a shared machine; wall time is printed too.

    python benchmarks/bench_app.py            # 200, 500 and 2,000 members
    python benchmarks/bench_app.py --quick    # fewer frames

Results are printed and written to ``benchmarks/results/app_frames.json``.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results" / "app_frames.json"
TARGET_MEMBERS, TARGET_FPS = 500, 5.0


def app_frames(n: int, frames: int, scenario: str, warmup: int = 3) -> dict:
    from simulation.app.session import Session

    session = Session(scenario, overrides={"population.size": n}, seed=1)
    for _ in range(warmup):
        session.step(1)
        session.frame()
    parts = {"step_ms": 0.0, "draw_ms": 0.0, "serialise_ms": 0.0}
    c0, w0 = time.process_time(), time.perf_counter()
    size = 0
    for _ in range(frames):
        t = time.process_time()
        session.step(1)  # model step, inspector history and layout relaxation
        t1 = time.process_time()
        frame = session.frame()
        t2 = time.process_time()
        payload = json.dumps({"svg": frame.network, "charts": frame.charts, "step": frame.step})
        t3 = time.process_time()
        size += len(payload)
        parts["step_ms"] += 1e3 * (t1 - t)
        parts["draw_ms"] += 1e3 * (t2 - t1)
        parts["serialise_ms"] += 1e3 * (t3 - t2)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    out = {k: v / frames for k, v in parts.items()}
    out.update(
        members=session.model.population.n_alive,
        ties=session.model.ties.count,
        frame_ms=1e3 * cpu / frames,
        wall_frame_ms=1e3 * wall / frames,
        fps=frames / cpu,
        kb_per_frame=size / frames / 1024,
    )
    return out


def page_frames(n: int, frames: int, scenario: str, warmup: int = 3) -> dict:
    """A frame of the served page: model step, then the page's moving part re-rendered
    (network, charts, inspector of a member, ecosystem panel) into widget state."""
    import ipyvue
    import solara

    from simulation.app.page import Viewer
    from simulation.app.session import Session

    session = Session(scenario, overrides={"population.size": n}, seed=1)
    box, rc = solara.render(Viewer(session=session), handle_error=False)
    (view,) = [w for w in rc.find(ipyvue.VueTemplate).widgets if hasattr(w, "vue_select_member")]
    for _ in range(warmup):
        session.step(1)
        view.vue_select_member(0)
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(frames):
        session.step(1)
        view.vue_select_member(0)  # redraws the moving part, as the play loop does
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    rc.close()
    return {"frame_ms": 1e3 * cpu / frames, "wall_frame_ms": 1e3 * wall / frames, "fps": frames / cpu}


def baseline_frames(n: int, frames: int, scenario: str) -> dict:
    """Spring layout from scratch and a matplotlib PNG per frame."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    from simulation import GiveTakeModel
    from simulation.scenario_files import load_scenario

    model = GiveTakeModel(load_scenario(scenario, {"population.size": n}), rng=1)
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(frames):
        model.step()
        g = model.to_networkx()
        pos = nx.spring_layout(g, seed=1)
        fig, ax = plt.subplots(figsize=(6.4, 6.4), dpi=100)
        nx.draw(g, pos, ax=ax, node_size=20, width=0.4)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        json.dumps({"png": base64.b64encode(buf.getvalue()).decode()})
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return {"frame_ms": 1e3 * cpu / frames, "wall_frame_ms": 1e3 * wall / frames, "fps": frames / cpu}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer frames")
    parser.add_argument("--scenario", default="open_mixer", help="scenario to run (default: the app's first)")
    args = parser.parse_args()
    plan = [(200, 30, 3), (500, 30, 3), (2000, 10, 2)]
    if args.quick:
        plan = [(n, max(f // 3, 3), 1) for n, f, _ in plan]
    rows = []
    print(
        f"app frame time, scenario {args.scenario} (CPU ms per frame; baseline: spring layout + matplotlib PNG)"
    )
    header = (
        f"{'members':>8} {'ties':>6} {'step+layout':>12} {'draw':>6} {'serialise':>10} {'frame':>7} "
        f"{'fps':>6} {'KB':>6} {'page':>6} {'fps':>5} | {'baseline':>9} {'fps':>6} {'speed-up':>9}"
    )
    print(header)
    for n, frames, base_frames in plan:
        app = app_frames(n, frames, args.scenario)
        page = page_frames(n, frames, args.scenario)
        base = baseline_frames(n, base_frames, args.scenario)
        ratio = base["frame_ms"] / app["frame_ms"]
        rows.append({"requested_members": n, "app": app, "page": page, "baseline": base, "speedup": ratio})
        print(
            f"{app['members']:>8} {app['ties']:>6} {app['step_ms']:>12.1f} {app['draw_ms']:>6.1f} "
            f"{app['serialise_ms']:>10.2f} {app['frame_ms']:>7.1f} {app['fps']:>6.1f} {app['kb_per_frame']:>6.0f} "
            f"{page['frame_ms']:>6.0f} {page['fps']:>5.1f} | "
            f"{base['frame_ms']:>9.0f} {base['fps']:>6.2f} {ratio:>8.1f}x",
            flush=True,
        )
    target = next(r for r in rows if r["requested_members"] == TARGET_MEMBERS)
    met = target["page"]["fps"] >= TARGET_FPS
    print(
        f"target: {TARGET_MEMBERS} members at >= {TARGET_FPS:g} frames per second: "
        f"{'met' if met else 'NOT met'} (served page {target['page']['fps']:.1f} fps, {target['page']['frame_ms']:.0f} ms "
        f"per frame; step + drawing + JSON alone {target['app']['fps']:.1f} fps)"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "scenario": args.scenario,
                "python": platform.python_version(),
                "machine": platform.machine(),
                "target": {"members": TARGET_MEMBERS, "fps": TARGET_FPS, "met": met},
                "rows": rows,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
