"""``givetake app``: serve the interactive classroom app in the browser.

The app is served by Solara's own server on this machine only (127.0.0.1)
unless ``--host`` says otherwise.  Everything the page needs is served
locally (``solara-assets``), usage statistics are switched off and the
server never turns to a CDN, so the app works in a classroom without
internet.
"""

from __future__ import annotations

import argparse
import os
import socket
import warnings

from ..errors import InputError

__all__ = ["register", "run", "offline_environment", "address", "quiet_cookie_warning"]

#: the app module and component Solara serves
APP = "simulation.app.page:Page"

#: where the server would fetch a missing front-end file from; nothing listens here,
#: so a missing file shows up as an error instead of a silent download
NO_CDN = "http://127.0.0.1:9/no-cdn/"


#: how long the run of a disconnected page is kept
KEEP_DISCONNECTED = "10m"


def offline_environment() -> dict[str, str]:
    """Solara settings that keep the app off the internet (as environment variables)."""
    return {
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "SOLARA_ASSETS_PROXY": "True",  # serve the front-end from solara-assets
        "SOLARA_ASSETS_CDN": NO_CDN,
        "SOLARA_THEME_SHOW_BANNER": "False",
        "SOLARA_CHECK_HOOKS": "off",
        # a page that lost its connection without closing (a laptop lid shut) keeps
        # its run this long; a closed tab stops its run at once
        "SOLARA_KERNEL_CULL_TIMEOUT": KEEP_DISCONNECTED,
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
            "the network grow or crumble. Open the printed address in a browser."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)"
    )
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (default: 8765)")
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


def run(args: argparse.Namespace) -> int:
    """Serve the app until interrupted."""
    _check_port(args.host, args.port)
    os.environ.update(offline_environment())
    import solara.server.settings
    import solara.settings
    from solara.__main__ import cli as solara_cli

    # in case Solara was imported before the environment was set
    solara.settings.assets.proxy = True
    solara.settings.assets.cdn = NO_CDN
    solara.server.settings.telemetry.mixpanel_enable = False
    solara.server.settings.kernel.cull_timeout = KEEP_DISCONNECTED
    quiet_cookie_warning()

    print(f"givetake app: open {address(args.host, args.port)} in a browser (Ctrl+C to stop)", flush=True)
    argv = [
        "run",
        APP,
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--production",
        "--no-open",
        "--no-check-version",
    ]
    try:
        solara_cli.main(args=argv, prog_name="solara", standalone_mode=False)
    except SystemExit as err:  # pragma: no cover - solara exits on its own errors
        return int(err.code or 0)
    return 0
