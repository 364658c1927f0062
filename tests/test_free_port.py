"""A free port handed to a service stays its own until the service binds it.

Test sessions run side by side (Kata's own workers, each running a generated project's
tests), all asking the kernel for free ports; a port one of them was given must not be
given to another before its service starts.
"""

import socket
import sys

import pytest

from generator._containers import free_port

# Linux hands out free ports (bind to port 0) from about 14,000 candidates: asking this many
# times meets most of them, so a port that was not held back would almost surely come up.
ASKED = 6000
HELD = 40


@pytest.mark.skipif(sys.platform != "linux", reason="the kernel's port choice is Linux's")
def test_a_port_it_gives_goes_to_no_other_request_for_a_free_port() -> None:
    held = {free_port() for _ in range(HELD)}

    given_elsewhere = set()
    for _ in range(ASKED):
        with socket.socket() as other:
            other.bind(("127.0.0.1", 0))
            given_elsewhere.add(other.getsockname()[1])

    assert held.isdisjoint(given_elsewhere)


def test_a_server_binds_the_port_it_gives_at_once() -> None:
    port = free_port()

    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen(1)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            accepted, _ = server.accept()
            with accepted:
                client.sendall(b"ping")
                assert accepted.recv(4) == b"ping"
