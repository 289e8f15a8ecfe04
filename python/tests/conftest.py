"""Shared by the Python tests: where the repository and its scenarios are.
Run by ctest (python_test) with PYTHONPATH at the build's python/ dir, or
by hand: PYTHONPATH=build/python /usr/bin/python3 -m pytest python/tests"""

import os
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
SCENARIOS = REPOSITORY / "scenarios"


@pytest.fixture
def nat_expiry_1h():
    """nat-expiry for one simulated hour: a run of a fraction of a second."""
    import tether
    return tether.Scenario.load(SCENARIOS / "nat-expiry.yaml").with_overrides({"duration": "1h"})


def needs_root():
    return pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces)")
