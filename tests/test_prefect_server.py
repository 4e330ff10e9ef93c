"""The run's own Prefect API server: started early, found healthy, restarted on a port clash, stopped."""
from __future__ import annotations

import socket

import pytest

from pipeline.errors import ConfigError
from pipeline.prefect_server import LocalServer, healthy

pytestmark = pytest.mark.slow


def test_local_server_ephemeral_port_taken_relaunches_on_a_free_port_and_answers(tmp_path, isolated_prefect_env):
    home = tmp_path / "home"
    home.mkdir()
    with socket.socket() as taken:  # another process holds the port the server is asked for
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = LocalServer(port=port, env=isolated_prefect_env(home), ephemeral=True)
        try:
            server.launch()
            server.wait_until_healthy(timeout=120)
            assert server.port != port and healthy(server.api_url)
            assert server.log_path == home / "ephemeral-server.log"
        finally:
            server.stop()
    assert server.proc is None and not healthy(server.api_url, timeout=0.5)


def test_local_server_exits_at_start_raises_config_error_naming_the_log(tmp_path, isolated_prefect_env):
    home = tmp_path / "home"
    home.mkdir()
    env = isolated_prefect_env(home)
    env["PREFECT_API_DATABASE_CONNECTION_URL"] = "not-a-database-url"  # the server cannot start
    server = LocalServer(env=env, ephemeral=True)
    with pytest.raises(ConfigError, match="did not start") as err:
        server.launch()
        server.wait_until_healthy(timeout=120)
    assert str(home / "ephemeral-server.log") in str(err.value) and "\n" not in str(err.value)
    assert server.proc is None
