"""The test servers' ports: outside the range the kernel gives connections, one slice per xdist worker."""

import socket

from tests.fixtures.smtp import ephemeral_start, free_port, port_range


def test_a_port_handed_out_is_below_the_ephemeral_range_free_and_never_handed_out_twice():
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    assert all(port < ephemeral_start() for port in ports)
    with socket.socket() as sock:  # nobody listens there: a server can bind it
        sock.bind(("127.0.0.1", ports[-1]))


def test_each_xdist_worker_draws_from_its_own_slice(monkeypatch):
    slices = []
    for worker in ("gw0", "gw1", "gw2"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "3")
        slices.append(set(port_range()))
    assert all(len(ports) > 5000 for ports in slices)
    assert not (slices[0] & slices[1]) and not (slices[1] & slices[2]) and not (slices[0] & slices[2])
    assert max(max(ports) for ports in slices) < ephemeral_start()
