"""tether.simulate: one run of a scenario in the ns-3 world, in this process."""

from __future__ import annotations

import os
import shutil
import tempfile

from . import _tether
from .run import Run
from .scenario import Scenario, ScenarioError, _problem


class RunError(RuntimeError):
    """A run that could not be made or finished (not an invalid scenario)."""


def as_scenario(scenario) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else Scenario.load(scenario)


def simulate(scenario, seed: int | None = None, pcap: bool = False, out: str | os.PathLike | None = None) -> Run:
    """Runs `scenario` (a Scenario or a path) with `seed` (None: the
    scenario's own) and returns its Run. Results go to `out`; with none,
    to a private directory removed once read, kept only for `pcap=True`
    (then `Run.out` names it). ns-3 is process-global: runs in one process
    are serialized, and each starts from a reset simulator, so they equal
    runs in separate processes. The GIL is released while ns-3 runs."""
    scenario = as_scenario(scenario)
    seed = scenario.seed if seed is None else int(seed)
    overrides = list(scenario.overrides) + [f"seed={seed}"]
    private = out is None
    directory = tempfile.mkdtemp(prefix=f"tether-{scenario.name}-") if private else os.fspath(out)
    try:
        try:
            done = _tether.simulate(scenario.path, overrides, directory, bool(pcap))
        except RuntimeError as failure:
            raise RunError(f"{scenario.name} seed {seed}: {failure}") from None
        if done["errors"]:
            raise ScenarioError([_problem(line) for line in done["errors"]])
        keep = not private or pcap
        return Run.from_dir(directory, scenario, seed, "sim", keep_out=keep)
    finally:
        if private and not pcap:
            shutil.rmtree(directory, ignore_errors=True)
