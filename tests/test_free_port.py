"""A free port handed to a service stays its own until the service binds it.

Test sessions run side by side (Kata's own workers, each running a generated project's
tests), all asking the kernel for free ports; a port one of them was given must not be
given to another before its service starts.
"""

import socket
import sys

import pytest

from generator._containers import free_port

# Each held port would be met by ASKED requests for a free port with a chance of about a
# third (Linux chooses among some 7,000 to 14,000 ports, depending on SO_REUSEADDR), so had
# the HELD ports not been held back, at least one would come up all but surely (0.65 ** 40).
ASKED = 6000
HELD = 40


@pytest.mark.skipif(sys.platform != "linux", reason="the kernel's port choice is Linux's")
@pytest.mark.parametrize("reuse_address", [False, True], ids=["plain", "like-free-port"])
def test_a_port_it_gives_goes_to_no_other_request_for_a_free_port(reuse_address: bool) -> None:
    held = [free_port() for _ in range(HELD)]

    given_elsewhere = set()
    for _ in range(ASKED):
        with socket.socket() as other:
            # Another suite's free_port sets SO_REUSEADDR, which changes how Linux chooses.
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, int(reuse_address))
            other.bind(("127.0.0.1", 0))
            given_elsewhere.add(other.getsockname()[1])

    assert len(set(held)) == HELD
    assert given_elsewhere.isdisjoint(held)


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
