"""A TCP relay between a browser and a server on localhost, for tests of what the network
does to a page: drop its connection, lose what the server sent back, or make it slow.

A page opened at ``http://127.0.0.1:{relay.port}/`` reaches the server through the relay;
``relay.lag = 1.0`` makes what the server sends arrive a second late, ``relay.cut()`` drops
every connection open (the page opens a new one), ``relay.cut_after_next_message()`` lets
the page's next message reach the server and drops the connection before the answer.
"""

from __future__ import annotations

import queue
import socket
import threading
import time

__all__ = ["Relay"]

#: websocket opcodes of a message's frames (continuation, text, binary); a pong, ping or
#: close frame is not a message
_MESSAGE_OPCODES = {0x0, 0x1, 0x2}


def _is_message(chunk: bytes) -> bool:
    """Whether ``chunk`` from the browser starts a websocket text or binary frame (not a pong)."""
    return bool(chunk) and (chunk[0] & 0x0F) in _MESSAGE_OPCODES


class _Pair:
    """One connection through the relay: the browser's socket and the server's."""

    def __init__(self, client: socket.socket, upstream: socket.socket):
        self.client = client
        self.upstream = upstream
        self.upgraded = False  # a websocket (after the HTTP upgrade request)
        self.doomed = False  # nothing more from the server reaches the browser

    def close_client(self) -> None:
        for how in (socket.SHUT_RDWR,):
            try:
                self.client.shutdown(how)
            except OSError:
                pass
        self.client.close()

    def close(self) -> None:
        self.close_client()
        try:
            self.upstream.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.upstream.close()


class Relay:
    """Listens on a free localhost port and passes every connection on to ``target`` port.

    ``lag``: seconds each piece of what the server sends waits before the browser gets it
    (a latency: pieces are not held back by one another).
    """

    def __init__(self, target: int):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lag = 0.0
        self.silent = threading.Event()
        self._pairs: list[_Pair] = []
        self._lock = threading.Lock()
        self._cut_after_message = threading.Event()
        #: connections cut so far
        self.cuts = 0
        #: websocket connections opened through the relay so far
        self.websockets = 0
        threading.Thread(target=self._accept, daemon=True).start()

    # -- what a test does ------------------------------------------------------------
    def cut(self) -> None:
        """Drop every connection open now (a network blip): the browser sees each one close;
        the server sees it go too."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            pair.close()
        self.cuts += 1

    def cut_after_next_message(self) -> None:
        """The next websocket message a page sends reaches the server, but its connection is
        cut at once: the page never gets what the server sends back (the server's answer is
        lost on the way, as when a Wi-Fi drops just after a click)."""
        self._cut_after_message.set()

    def go_silent(self) -> None:
        """Pass nothing on any more, and close nothing (a lost network: no goodbye)."""
        self.silent.set()

    def close(self) -> None:
        self.listener.close()
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            pair.close()

    # -- relaying --------------------------------------------------------------------
    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()
                continue
            pair = _Pair(client, upstream)
            with self._lock:
                self._pairs.append(pair)
            threading.Thread(target=self._from_browser, args=(pair,), daemon=True).start()
            threading.Thread(target=self._from_server, args=(pair,), daemon=True).start()

    def _from_browser(self, pair: _Pair) -> None:
        while True:
            try:
                data = pair.client.recv(65536)
            except OSError:
                data = b""
            if self.silent.is_set():
                if not data:
                    return
                continue
            if not data:
                try:
                    pair.upstream.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            if not pair.upgraded and b"upgrade: websocket" in data.lower():
                pair.upgraded = True
                self.websockets += 1
            elif pair.upgraded and _is_message(data) and self._cut_after_message.is_set():
                self._cut_after_message.clear()
                pair.doomed = True
                try:
                    pair.upstream.sendall(data)
                except OSError:
                    pass
                with self._lock:
                    if pair in self._pairs:
                        self._pairs.remove(pair)
                self.cuts += 1
                pair.close_client()  # the browser sees the drop at once
                time.sleep(2.0)  # the server reads the message and answers into the void
                pair.close()
                return
            try:
                pair.upstream.sendall(data)
            except OSError:
                return

    def _from_server(self, pair: _Pair) -> None:
        pending: queue.Queue[tuple[float, bytes]] = queue.Queue()

        def deliver() -> None:
            while True:
                at, data = pending.get()
                if not data:
                    if self.silent.is_set():  # a lost network closes nothing
                        return
                    try:
                        pair.client.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    return
                wait = at - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                if pair.doomed or self.silent.is_set():
                    continue
                try:
                    pair.client.sendall(data)
                except OSError:
                    pass

        threading.Thread(target=deliver, daemon=True).start()
        while True:
            try:
                data = pair.upstream.recv(65536)
            except OSError:
                data = b""
            if self.silent.is_set() and data:
                continue
            pending.put((time.monotonic() + self.lag, data))
            if not data:
                return
