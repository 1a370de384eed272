"""Shared fixtures of the Python API's tests: the workspace's `daphne` and `DistributedWorker`
binaries (which the script pairs and the distributed tests compare against), and a context."""

import os
import shutil

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def find_binary(name):
    """`DAPHNE_BIN_DIR/name`, else the workspace's debug or release build of it."""
    dirs = [os.environ.get("DAPHNE_BIN_DIR"), os.path.join(ROOT, "target", "debug"),
            os.path.join(ROOT, "target", "release")]
    for d in dirs:
        if d and os.path.isfile(os.path.join(d, name)):
            return os.path.join(d, name)
    found = shutil.which(name)
    if found:
        return found
    if os.environ.get("DAPHNE_REQUIRE_BINARIES") == "1":
        pytest.fail(f"`{name}` is not built (cargo build --bin {name})")
    pytest.skip(f"`{name}` is not built (cargo build --bin {name})")


@pytest.fixture(scope="session")
def daphne_bin():
    return find_binary("daphne")


@pytest.fixture(scope="session")
def worker_bin():
    return find_binary("DistributedWorker")


@pytest.fixture
def dc():
    from daphne.context.daphne_context import DaphneContext

    return DaphneContext()
