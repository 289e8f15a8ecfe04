"""tether from Python: scenarios, runs in the ns-3 world and the lab,
captures, and sweeps. See python/README.md."""

from .build import build_id, tool_path
from .run import Run
from .scenario import Problem, Scenario, ScenarioError
from .simulate import RunError, simulate
from .summary import flatten_summary
from . import lab, pcap  # noqa: E402 (they use the names above)

__all__ = ["Problem", "Run", "RunError", "Scenario", "ScenarioError", "build_id", "flatten_summary", "lab", "pcap",
           "simulate", "tool_path"]
