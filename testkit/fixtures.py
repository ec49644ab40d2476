"""The fixtures every test layer may use (a pytest plugin: tests/conftest.py `pytest_plugins`).

- `redis_server`: one real Redis for the session, requiring a password (its `url` carries it)
- `mesh_factory`, `mesh`: the three services against it, worker processes for real
- `rabbit`: a throwaway RabbitMQ node for a module
- `apps`, `specs`: the services' web apps on SQLite and the stub broker for a module, and
  their OpenAPI documents
"""
from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path

import pytest

from testkit.apps import openapi_documents, stub_apps
from testkit.mesh import Mesh
from testkit.servers import RabbitServer, RedisServer


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    # It asks for a password, as the Redis of `make run` does: every test reaches it by its URL.
    server = RedisServer(tmp_path_factory.mktemp("redis"), password=secrets.token_urlsafe(24)).start()
    yield server
    server.stop()


@pytest.fixture
def mesh_factory(redis_server, tmp_path):
    """Gives a function making a Mesh on the session's Redis (emptied first) or on `broker_url`."""
    created = []

    def make(*, broker_url: str | None = None, start: bool = True, extra_env: dict | None = None) -> Mesh:
        redis_server.client().flushall()
        mesh = Mesh(broker_url=broker_url or redis_server.url, folder=tmp_path, extra_env=extra_env)
        created.append(mesh)
        if start:
            mesh.start_all()
        return mesh

    yield make
    for mesh in created:
        mesh.stop()


@pytest.fixture
def mesh(mesh_factory):
    return mesh_factory()


@pytest.fixture(scope="module")
def rabbit():
    # Not pytest's tmp folder: RabbitMQ runs as its own user, who cannot enter root's 0700 folders.
    folder = Path(tempfile.mkdtemp(prefix="huifang-rabbit-"))
    folder.chmod(0o755)
    server = RabbitServer(folder).start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    """The three services' web apps (testkit.apps.stub_apps), one set per test module."""
    return stub_apps(tmp_path_factory.mktemp("apps"))


@pytest.fixture(scope="module")
def specs(apps):
    """The OpenAPI document of each of `apps`, by service."""
    return openapi_documents(apps)
