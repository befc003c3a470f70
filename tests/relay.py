"""A TCP relay between a browser and a server on localhost, for tests of what the network
does to a page: drop its connection, lose what the server sent back, or make it slow.

A page opened at ``http://127.0.0.1:{relay.port}/`` reaches the server through the relay;
``relay.lag = 1.0`` makes what the server sends arrive a second late, ``relay.cut()`` drops
every connection open (the page opens a new one), ``relay.cut_after_next_message()`` lets
the page's next message reach the server and drops the connection before the answer (with
``renew_during_answer=True``, the page's new connection reaches the server only once the
server is busy sending that answer into the void).
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

#: messages of the server's answer lost before a held new connection reaches the server
#: (``cut_after_next_message(renew_during_answer=True)``): the first is the server's "busy",
#: those after it the start of the answer itself
ANSWER_LOST_BEFORE_RENEWAL = 10


class _Frames:
    """Counts the websocket frames that end a message in a server's stream, fed in pieces as
    they arrive (a server's frames are not masked)."""

    def __init__(self):
        self.buffer = b""
        self.messages = 0

    def feed(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= 2:
            length, start = self.buffer[1] & 0x7F, 2
            if length == 126:
                length, start = int.from_bytes(self.buffer[2:4], "big"), 4
            elif length == 127:
                length, start = int.from_bytes(self.buffer[2:10], "big"), 10
            if len(self.buffer) < start + length:
                return
            fin, opcode = self.buffer[0] & 0x80, self.buffer[0] & 0x0F
            if fin and opcode in _MESSAGE_OPCODES:
                self.messages += 1
            self.buffer = self.buffer[start + length :]


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
        self.lost = _Frames()  # what the server sent into the void once doomed

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
        self._hold_renewal = threading.Event()  # the next websocket waits for _answer_lost
        self._answer_lost = threading.Event()
        #: connections cut so far
        self.cuts = 0
        #: websocket connections opened through the relay so far
        self.websockets = 0
        #: new connections that reached the server while it was answering into the void
        self.renewed_during_answer = 0
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

    def cut_after_next_message(self, renew_during_answer: bool = False) -> None:
        """The next websocket message a page sends reaches the server, but its connection is
        cut at once: the page never gets what the server sends back (the server's answer is
        lost on the way, as when a Wi-Fi drops just after a click).

        ``renew_during_answer``: the page's new connection (it opens one at once) is held back
        until the server has sent :data:`ANSWER_LOST_BEFORE_RENEWAL` messages into the void,
        so that it reaches the server while the server is still answering: the start of the
        answer is lost, the rest goes to the new connection."""
        if renew_during_answer:
            self._answer_lost.clear()
            self._hold_renewal.set()
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
                if self._hold_renewal.is_set() and self.cuts:
                    self._hold_renewal.clear()
                    if self._answer_lost.wait(timeout=30):
                        self.renewed_during_answer += 1
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
                holding = self._hold_renewal.is_set()
                pair.close_client()  # the browser sees the drop at once
                if holding:  # the server hears of no drop before its answer has begun
                    self._answer_lost.wait(timeout=30)
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
            if pair.doomed and data:
                pair.lost.feed(data)
                if pair.lost.messages >= ANSWER_LOST_BEFORE_RENEWAL:
                    self._answer_lost.set()
            pending.put((time.monotonic() + self.lag, data))
            if not data:
                return
