"""A loopback TCP proxy for tests of a peer that goes silent without closing: `freeze()`
keeps every connection made so far open but forwards nothing more on it, either way (as an
overloaded server, or a network dropping a connection's packets, would), while new
connections pass as before."""
from __future__ import annotations

import socket
import threading
import time


class FreezingProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self._target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._accepted = 0  # connections accepted so far
        self._frozen_below = 0  # connections numbered below this forward nothing
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="proxy accept").start()

    def __enter__(self) -> "FreezingProxy":
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def freeze(self) -> None:
        """Connections made so far stay open and silent; later ones pass."""
        self._frozen_below = self._accepted

    def close(self) -> None:
        self._closed = True
        for sock in [self._listener, *self._sockets]:
            sock.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
                upstream = socket.create_connection(self._target)
            except OSError:
                return
            number, self._accepted = self._accepted, self._accepted + 1
            self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink, number), daemon=True,
                                 name=f"proxy pump {number}").start()

    def _pump(self, source: socket.socket, sink: socket.socket, number: int) -> None:
        while not self._closed:
            try:
                data = source.recv(65536)
            except OSError:
                return
            while number < self._frozen_below and not self._closed:
                time.sleep(0.05)  # held, never delivered
            if not data or self._closed:
                return
            try:
                sink.sendall(data)
            except OSError:
                return
