"""The load test's shoppers treat a kept-alive connection the server closed as a browser
does: a GET is sent again once on a new connection, a POST is not (it fails), and a
server that keeps failing still fails. Against a real socket server on loopback that
answers the first request of a connection and closes the connection at the second."""
from __future__ import annotations

import socket
import threading
from contextlib import contextmanager

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.load.stale_connections import stale_connection_retry

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok"


@contextmanager
def closes_on_second_request(always: bool = False):
    """A server whose connections answer one request and close at the next without an
    answer (every request, with always)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    connections = []

    def serve(conn):
        with conn:
            for served in range(2):
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                if always or served == 1:
                    return  # closed without an answer
                conn.sendall(OK)

    def accept():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            connections.append(conn)
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", connections
    finally:
        listener.close()


@pytest.fixture
def session():
    with requests.Session() as client:
        client.mount("http://", HTTPAdapter(max_retries=stale_connection_retry()))
        yield client


def test_a_get_on_a_connection_closed_meanwhile_is_sent_again_on_a_new_one(session):
    with closes_on_second_request() as (url, connections):
        assert session.get(url + "/a").text == "ok"
        assert session.get(url + "/b").text == "ok"  # the kept connection closed: a new one answered
        assert len(connections) == 2


def test_a_post_is_not_sent_again(session):
    with closes_on_second_request() as (url, _):
        session.get(url + "/a")
        with pytest.raises(requests.ConnectionError):
            session.post(url + "/checkout", data=b"x")


def test_a_server_that_never_answers_still_fails(session):
    with closes_on_second_request(always=True) as (url, connections):
        with pytest.raises(requests.ConnectionError):
            session.get(url + "/a")
        assert len(connections) == 2  # the first try and one more, no further
