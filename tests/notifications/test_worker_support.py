"""The private redis-server of the worker tests is its own, even when a parallel test took the port it found free."""

from tests.notifications import worker_support
from tests.notifications.worker_support import RedisServer


def test_private_redis_moves_to_another_port_when_another_test_took_its_port(tmp_path, monkeypatch):
    other = RedisServer(tmp_path / "other")
    other.start()
    try:
        # The port was free when probed; another worker's server bound it before this one started.
        ports = iter([other.port])
        real_free_port = worker_support.free_port
        monkeypatch.setattr(worker_support, "free_port", lambda: next(ports, None) or real_free_port())
        server = RedisServer(tmp_path / "redis")
        assert server.port == other.port

        server.start()
        try:
            assert server.port != other.port
            assert server.client().info("server")["process_id"] == server.process.pid
            # A restart (a test bringing Redis back) keeps the port its clients know.
            port = server.port
            server.stop()
            server.start()
            assert server.port == port
        finally:
            server.stop()
    finally:
        other.stop()
