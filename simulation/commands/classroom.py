"""``givetake classroom``: a class plays one shared model from their own browsers.

The teacher's screen and the students' page are served by one process, on
this machine only (127.0.0.1) unless ``--host`` says otherwise.  The class is
saved after every week in a folder outside the project (printed at start);
``--resume FOLDER`` continues a class after a restart.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from pathlib import Path

from ..app.lessons import LESSONS
from ..errors import InputError
from ..params import check_seed
from .app import _check_port, host_warning, is_local, offline_environment, serve

__all__ = ["register", "run", "default_save_root", "lan_address"]

#: the module Solara serves (its ``routes``: ``/`` the teacher, ``/join`` the students)
APP = "simulation.classroom.pages"

#: how long a student's page whose connection is lost keeps its place (the class itself is
#: kept and saved every week)
KEEP_DISCONNECTED = "10m"


def default_save_root() -> Path:
    """Where classes are saved: ``$XDG_STATE_HOME/givetake/classroom`` (``~/.local/state/...``)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "givetake" / "classroom"


def lan_address() -> str:
    """This computer's address on its network, as students' devices would reach it.

    Found from the operating system's routing table (a UDP socket is pointed at
    a private address; no packet is sent); ``127.0.0.1`` when there is no network.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.254.254.254", 1))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "classroom",
        help="serve a class: students play members of one shared network from their browsers",
        description=(
            "Serve a class: each student joins at /join with the class code and a nickname and plays "
            "one member of a shared network (the other members play built-in strategies); the "
            "teacher's screen shows the whole network, the students and the charts. Open the printed "
            "teacher's address in a browser."
        ),
    )
    parser.add_argument(
        "scenario", nargs="?", default=None, help="built-in scenario name or .toml file (default: open_mixer)"
    )
    parser.add_argument(
        "--lesson",
        choices=sorted(LESSONS),
        default=None,
        help="play one of the app's lessons: its scenario, settings, seed and title as the question",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only; any other address warns, "
        "0.0.0.0: the whole network)",
    )
    parser.add_argument("--port", type=int, default=8766, help="port to listen on (default: 8766)")
    parser.add_argument("--seats", type=int, default=30, help="most students who can join (default: 30)")
    parser.add_argument("--seed", type=int, default=1, help="the shared model's seed (default: 1)")
    parser.add_argument(
        "--timer",
        type=float,
        default=90.0,
        help="seconds per week before undecided students take the default; 0: no timer (default: 90)",
    )
    parser.add_argument(
        "--default",
        choices=["refuse", "matcher"],
        default="refuse",
        help="what an undecided student's member does (default: refuse)",
    )
    parser.add_argument(
        "--size", type=int, default=None, help="members in the network (default: the scenario's, at most 300)"
    )
    parser.add_argument("--question", default="", help="the lesson's question, shown on the teacher's screen")
    parser.add_argument(
        "--save",
        type=Path,
        default=None,
        help=f"folder to save the class in every week (default: a new folder under {default_save_root()})",
    )
    parser.add_argument(
        "--resume",
        type=Path,
        default=None,
        metavar="FOLDER",
        help="continue the class saved in FOLDER (after a restart)",
    )
    parser.set_defaults(func=run)


def _build(args: argparse.Namespace):
    from ..classroom import ClassSession
    from ..scenario import ScenarioError

    if args.resume is not None:
        return ClassSession.load(args.resume)
    scenario, overrides, question = args.scenario or "open_mixer", {}, args.question
    seed = check_seed(args.seed, "--seed")
    if args.lesson is not None:
        if args.scenario is not None:
            raise InputError(f"give a scenario or --lesson {args.lesson}, not both")
        lesson = LESSONS[args.lesson]
        scenario, overrides, seed = lesson.scenario, dict(lesson.overrides), lesson.seed
        question = question or lesson.title
    if args.timer < 0:
        raise InputError(f"--timer {args.timer:g}: expected seconds above 0, or 0 for no timer")
    if args.size is not None:
        overrides["population.size"] = args.size
    try:
        session = ClassSession(
            scenario,
            seats=args.seats,
            seed=seed,
            default=args.default,
            timer=args.timer or None,
            overrides=overrides,
            question=question,
        )
    except ScenarioError as err:
        line = str(err).strip().splitlines()[0]
        if args.size is not None and "population.size:" in line:  # the option given, not the setting
            line = f"--size {args.size}: {line.split('population.size:', 1)[1].strip()}"
        raise InputError(line) from None
    folder = args.save or default_save_root() / f"{time.strftime('%Y%m%d-%H%M%S')}-{session.code}"
    session.save_dir = folder
    return session


def run(args: argparse.Namespace) -> int:
    """Serve the class until interrupted."""
    _check_port(args.host, args.port)
    os.environ.update(offline_environment(KEEP_DISCONNECTED))  # before Solara is first imported
    session = _build(args)
    path = session.save()
    from ..classroom.pages import ENV_FILE, ENV_JOIN, ENV_QR

    public = not is_local(args.host)
    shown_host = lan_address() if args.host in ("0.0.0.0", "::", "") else args.host
    base = f"http://{shown_host}:{args.port}"
    join = f"{base}/join"
    env = offline_environment(KEEP_DISCONNECTED)
    env[ENV_FILE] = str(path)
    env[ENV_JOIN] = join
    print(
        f"givetake classroom: week {session.week}, class code {session.code}, saved in {path.parent}",
        flush=True,
    )
    print(
        f"  teacher (keep this address to yourself): http://127.0.0.1:{args.port}/?key={session.teacher_key}",
        flush=True,
    )
    print(f"  students join at: {join}  with the code {session.code}", flush=True)
    if public:
        from ..classroom.qr import join_qr_svg, join_qr_text

        env[ENV_QR] = join_qr_svg(f"{join}?code={session.code}")
        print(join_qr_text(f"{join}?code={session.code}"), flush=True)
    warning = host_warning("classroom", args.host, "only the class code keeps others out")
    if warning:
        print(warning, file=sys.stderr, flush=True)
    print(f"  resume after a restart: givetake classroom --resume {path.parent}", flush=True)
    os.environ.update(env)
    # a student's page rebuilds itself from its address and browser: one that comes back to a
    # restarted server reloads and shows the student's member again
    return serve(APP, args.host, args.port, KEEP_DISCONNECTED, reload_given_up=True)
