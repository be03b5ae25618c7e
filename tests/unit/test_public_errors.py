"""What a caller reads when a call fails: the project's own messages as written, a
library's text (hosts, ports, SQL) never: a stable message with the request id instead."""
import grpc
import psycopg
import redis

from catalogservice.errors import InvalidArgument
from service_runtime.interceptors import public_message, written_for_callers


def test_a_librarys_failure_becomes_a_stable_message_with_the_request_id():
    leaky = psycopg.OperationalError('connection to server at "10.0.0.7", port 5432 failed: Connection refused')
    message = public_message(leaky, grpc.StatusCode.UNAVAILABLE, "rid-1")
    assert message == "the service cannot reach what it depends on right now; try again shortly (request id rid-1)"
    down = redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")
    assert "6390" not in public_message(down, grpc.StatusCode.UNAVAILABLE, "rid-2")


def test_the_projects_own_errors_keep_their_message():
    assert public_message(InvalidArgument("price is required"), grpc.StatusCode.INVALID_ARGUMENT, "r") == \
        "price is required"
    assert written_for_callers(InvalidArgument) and not written_for_callers(psycopg.OperationalError)
