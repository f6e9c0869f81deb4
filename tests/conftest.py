"""Shared fixtures. Reference datasets are read from ../shared/datasets and skipped when absent."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(tempfile.mkdtemp(prefix="crmkit-hypothesis-"))

# Tests never write into the working directory: no example database, fixed derandomised runs.
settings.register_profile("crmkit", database=None, derandomize=True)
settings.load_profile("crmkit")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"


@pytest.fixture
def shared_dataset():
    """Path of a file in ../shared/datasets, or skip the test when it is not there."""

    def get(name: str) -> Path:
        path = SHARED / name
        if not path.is_file():
            pytest.skip(f"reference dataset {path} not available")
        return path

    return get


@pytest.fixture
def write(tmp_path):
    """Write text (or bytes) to a file in tmp_path and return its path as str."""

    def _write(name: str, content, encoding: str = "utf-8") -> str:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode(encoding))
        return str(path)

    return _write


@pytest.fixture(scope="session")
def spark_session():
    """The process's SparkSession (local mode), or skip when pyspark or Java is absent.

    ``.ci/run`` installs both and sets ``CRMKIT_REQUIRE_SPARK=1``: there a skip is a failure.
    """
    skip = pytest.fail if os.environ.get("CRMKIT_REQUIRE_SPARK") else pytest.skip
    try:
        import pyspark  # noqa: F401
    except ImportError:
        skip("pyspark is not installed (pip install 'crmkit[spark]')")
    if not os.environ.get("JAVA_HOME") and not shutil.which("java"):
        skip("no Java for Spark (Debian: apt-get install openjdk-17-jre-headless)")
    from crmkit.errors import CrmkitError
    from crmkit.io.spark import session

    try:
        return session()
    except CrmkitError as exc:
        skip(f"Spark cannot start: {exc}")
