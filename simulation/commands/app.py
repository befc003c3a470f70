"""``givetake app``: serve the interactive classroom app in the browser.

The app is served by Solara's own server on this machine only (127.0.0.1)
unless ``--host`` says otherwise (then it warns).  Everything the page needs
is served locally (``solara-assets``), usage statistics are switched off and
the server never turns to a CDN, so the app works in a classroom without
internet.

The server checks every page's connection every few seconds; a page whose
browser has gone (a closed laptop, a crashed browser) stops playing at once
and its run is freed :data:`KEEP_DISCONNECTED` later; a page whose connection
comes back before then gets its run back and plays on.  At most
``--max-sessions`` pages hold a run at a time; the next one is asked to come
back later.

Freed memory goes back to the operating system: on Linux the server runs with
Python's objects allocated by the C library's ``malloc`` (:data:`ALLOCATOR`),
whose free pages ``malloc_trim`` hands back, instead of Python's own 1 MiB
arenas, which a single object still in use keeps whole; ``givetake app``
restarts itself with those settings before it serves (same process id).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import sys
import warnings

from ..errors import InputError

__all__ = [
    "register",
    "run",
    "offline_environment",
    "address",
    "quiet_cookie_warning",
    "is_local",
    "host_warning",
    "serve",
    "KEEP_DISCONNECTED",
    "PING_SECONDS",
    "PING_TIMEOUT_SECONDS",
    "MAX_SESSIONS",
    "ALLOCATOR",
    "with_allocator",
]

#: the app module and component Solara serves
APP = "simulation.app.page:Page"

#: where the server would fetch a missing front-end file from; nothing listens here,
#: so a missing file shows up as an error instead of a silent download
NO_CDN = "http://127.0.0.1:9/no-cdn/"

#: how long the run of a page whose connection is lost is kept, for the page to come back
#: (a closed tab frees its run at once)
KEEP_DISCONNECTED = "30s"

#: seconds between the server's pings of each page
PING_SECONDS = 5.0

#: seconds the server waits for a page to answer a ping before it takes the page as gone
#: (a busy browser or a full connection can take a few seconds to answer)
PING_TIMEOUT_SECONDS = 15.0

#: the most pages holding a run at a time, by default
MAX_SESSIONS = 40


#: environment of the server's allocator (Linux): Python's objects from the C library's malloc,
#: at most two malloc arenas (one per thread would keep the memory of many idle server threads),
#: and blocks of 128 KiB or more (a run's arrays) mapped on their own, so that they return to
#: the operating system when freed
ALLOCATOR = {
    "PYTHONMALLOC": "malloc",
    "GLIBC_TUNABLES": "glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072"
    ":glibc.malloc.trim_threshold=131072",
}


def with_allocator(environ: dict[str, str] | None = None) -> dict[str, str] | None:
    """The environment to restart the server in with :data:`ALLOCATOR`, or None when
    ``environ`` (default: this process's) has it already or the system is not Linux.

    >>> with_allocator({**ALLOCATOR, "HOME": "/h"}) is None
    True
    >>> env = with_allocator({"GLIBC_TUNABLES": "glibc.pthread.rseq=0"})
    >>> env["PYTHONMALLOC"], env["GLIBC_TUNABLES"].startswith("glibc.pthread.rseq=0:glibc.malloc.arena_max=2")
    ('malloc', True)
    """
    environ = dict(os.environ if environ is None else environ)
    if not sys.platform.startswith("linux"):
        return None
    tunables = environ.get("GLIBC_TUNABLES", "")
    if environ.get("PYTHONMALLOC") == ALLOCATOR["PYTHONMALLOC"] and ALLOCATOR["GLIBC_TUNABLES"] in tunables:
        return None
    environ["PYTHONMALLOC"] = ALLOCATOR["PYTHONMALLOC"]
    if ALLOCATOR["GLIBC_TUNABLES"] not in tunables:
        environ["GLIBC_TUNABLES"] = ":".join(x for x in (tunables, ALLOCATOR["GLIBC_TUNABLES"]) if x)
    return environ


def offline_environment(keep_disconnected: str = KEEP_DISCONNECTED) -> dict[str, str]:
    """Solara settings that keep the app off the internet (as environment variables)."""
    return {
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "SOLARA_ASSETS_PROXY": "True",  # serve the front-end from solara-assets
        "SOLARA_ASSETS_CDN": NO_CDN,
        "SOLARA_THEME_SHOW_BANNER": "False",
        "SOLARA_CHECK_HOOKS": "off",
        # a page that lost its connection without closing (a laptop lid shut) keeps
        # its run this long; a closed tab stops its run at once
        "SOLARA_KERNEL_CULL_TIMEOUT": keep_disconnected,
    }


def quiet_cookie_warning() -> None:
    """Silence Solara's warning that the session cookie falls back to ``SameSite=Lax``.

    Solara would like ``SameSite=None`` so that a page embedded in another site's iframe keeps
    its session; browsers accept that only over https (or on ``localhost``), so on plain http,
    e.g. ``http://127.0.0.1:8765/`` or a classroom's ``http://<address>:8765/``, it sets
    ``SameSite=Lax`` and warns on every page load.  This app is opened directly, never embedded,
    and Lax is the right cookie for that; Solara offers no setting to say so, so the one
    warning is filtered by its text and module (every other warning still shows).
    """
    warnings.filterwarnings(
        "ignore",
        message="Cookies with samesite=none require https",
        category=UserWarning,
        module=r"solara\.server\.starlette",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "app",
        help="serve the interactive app for teaching",
        description=(
            "Serve the interactive app: pick a lesson or a networking style, press play and watch "
            "the network grow or crumble. Open the printed address in a browser. Every page has its "
            "own run; a page whose browser has gone stops playing within seconds and its run is "
            "freed within a minute."
        ),
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only; any other address warns, "
        "0.0.0.0: the whole network)",
    )
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (default: 8765)")
    parser.add_argument(
        "--max-sessions",
        type=int,
        default=MAX_SESSIONS,
        metavar="N",
        help=f"most pages holding a run at a time; the next is asked to come back later (default: {MAX_SESSIONS})",
    )
    parser.set_defaults(func=run)


def _check_port(host: str, port: int) -> None:
    if not 0 < port < 65536:
        raise InputError(f"--port {port}: expected a port number between 1 and 65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise InputError(f"--host {host!r}: not an address of this machine") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as err:
            raise InputError(f"cannot listen on {host}:{port} ({err.strerror}); try another --port") from None


def address(host: str, port: int) -> str:
    """The address to give people, for a host to listen on.

    >>> address("127.0.0.1", 8765)
    'http://127.0.0.1:8765/'
    >>> address("0.0.0.0", 80)
    'http://<address of this computer>:80/ (here: http://127.0.0.1:80/)'
    """
    if host in ("0.0.0.0", "::", ""):
        return f"http://<address of this computer>:{port}/ (here: http://127.0.0.1:{port}/)"
    return f"http://{host}:{port}/"


def is_local(host: str) -> bool:
    """Whether ``host`` is an address of this machine only (a loopback address).

    >>> is_local("127.0.0.1"), is_local("localhost"), is_local("::1"), is_local("0.0.0.0")
    (True, True, True, False)
    """
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def host_warning(command: str, host: str, who: str) -> str | None:
    """The warning printed when ``command`` listens on ``host`` other than this machine only
    (``who``: what keeps strangers out), or None for a loopback address."""
    if is_local(host):
        return None
    reach = (
        "every device on this network" if host in ("0.0.0.0", "::", "") else f"devices that can reach {host}"
    )
    return (
        f"givetake {command}: warning: --host {host or "''"} makes it reachable by {reach}; {who}. "
        "Stop it with Ctrl+C when the lesson ends."
    )


def _check_max_sessions(n: int) -> int:
    if n < 1:
        raise InputError(f"--max-sessions {n}: expected a whole number of pages, at least 1")
    return n


def serve(app: str, host: str, port: int, keep_disconnected: str, reload_given_up: bool = False) -> int:
    """Run Solara's server for ``app`` until interrupted, pinging every page every
    :data:`PING_SECONDS` and freeing a page's kernel ``keep_disconnected`` after its
    connection is lost.  ``reload_given_up``: a page whose kernel is gone when its connection
    comes back (held too long, or the server restarted) reloads at once instead of asking
    to be reloaded (for pages that rebuild themselves from their address)."""
    import solara.server.settings
    import solara.settings
    import uvicorn
    from solara.__main__ import cli as solara_cli

    # in case Solara was imported before the environment was set
    solara.settings.assets.proxy = True
    solara.settings.assets.cdn = NO_CDN
    solara.server.settings.telemetry.mixpanel_enable = False
    solara.server.settings.kernel.cull_timeout = keep_disconnected
    solara.server.settings.theme.force_refresh = reload_given_up
    quiet_cookie_warning()

    from ..app.reconnect import PatientScript, count_connections, hold_renewed_connections, patched_script
    from ..app.serving import SESSIONS, OnServerLoop

    count_connections()
    hold_renewed_connections()
    script, note = patched_script()
    if script is None:
        print(
            f"givetake: warning: {note}; a page whose connection is renewed may lose its run", file=sys.stderr
        )

    class Config(uvicorn.Config):
        """Solara's ``run`` makes its uvicorn.Config without the ping settings: a page whose
        network went away without closing the connection is noticed after a missed ping.
        Its page script is served with a reconnect that waits for a busy server
        (:mod:`simulation.app.reconnect`), and the event loop serving it is noted for
        the pages' janitor (:mod:`simulation.app.serving`)."""

        def __init__(self, *args, **kwargs):
            kwargs.setdefault("ws_ping_interval", PING_SECONDS)
            kwargs.setdefault("ws_ping_timeout", PING_TIMEOUT_SECONDS)
            super().__init__(*args, **kwargs)

        def load(self) -> None:
            super().load()
            self.loaded_app = OnServerLoop(PatientScript(self.loaded_app), SESSIONS)

    uvicorn.Config = Config  # type: ignore[misc]  # this process only serves the app
    argv = [
        "run",
        app,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
    ]
    import click

    try:
        solara_cli.main(args=argv, prog_name="solara", standalone_mode=False)
    except SystemExit as err:  # pragma: no cover - solara exits on its own errors
        return int(err.code or 0)
    except click.exceptions.Abort:  # click's Ctrl-C: the command was interrupted (exit 130)
        raise KeyboardInterrupt from None
    return 0


def run(args: argparse.Namespace) -> int:
    """Serve the app until interrupted."""
    max_sessions = _check_max_sessions(args.max_sessions)
    _check_port(args.host, args.port)
    env = with_allocator()
    if env is not None:  # start again, this same process, with the allocator that hands memory back
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)
    from ..app import serving

    os.environ.update(offline_environment())
    os.environ[serving.ENV_MAX_SESSIONS] = str(max_sessions)
    serving.SESSIONS.start(max_sessions)  # the server runs in this process
    print(f"givetake app: open {address(args.host, args.port)} in a browser (Ctrl+C to stop)", flush=True)
    warning = host_warning("app", args.host, "anyone who opens it can run simulations on this computer")
    if warning:
        print(warning, file=sys.stderr, flush=True)
    return serve(APP, args.host, args.port, KEEP_DISCONNECTED)
