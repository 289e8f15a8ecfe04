"""One run of a sweep as a task that any worker can do: a local worker
process, a Dask worker on this machine or on another one.

A task carries the recipe of its scenario (the file, the overrides the
caller's scenario had, the point's) rather than a Scenario object, and the
worker rebuilds it and checks that its digest is the one the sweep planned:
a worker that sees other files (another checkout on a remote machine) or
runs another build reports that as the run's error instead of mixing its
results into the sweep. Whatever a run raises becomes the run's error; a
task never raises, so one bad point never stops a sweep.
"""

import functools
import json
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple


def simulate_row(scenario: Any, seed: int) -> Dict[str, Any]:
    """The default run: the simulation's flattened summary."""
    from . import simulate

    return simulate(scenario, seed=seed).row()


def tether_build_id() -> str:
    from . import build_id

    return build_id()


@dataclass(frozen=True)
class RunTask:
    """One (point, seed). ``run(scenario, seed) -> dict`` and ``build_id()``
    are module-level functions, sent by reference."""

    point_index: int
    seed: int
    scenario_class: type
    scenario_path: str
    base_overrides: Tuple[str, ...]
    point_overrides_json: str
    expected_digest: str
    expected_build: str
    run: Callable[[Any, int], Dict[str, Any]] = simulate_row
    build_id: Callable[[], str] = tether_build_id

    @property
    def order(self) -> Tuple[int, int]:
        return (self.point_index, self.seed)


@functools.lru_cache(maxsize=64)
def _point_scenario(scenario_class: type, path: str, base_overrides: Tuple[str, ...], point_json: str) -> Any:
    """The point's scenario, rebuilt once per worker process and point (a
    worker runs every seed of a point)."""
    # All together and in order, as --set applies them (a key set twice
    # keeps its last value; values only valid together pass).
    scenario = scenario_class.load(path).with_sets(base_overrides)
    point = json.loads(point_json)
    return scenario.with_overrides(point) if point else scenario


@functools.lru_cache(maxsize=8)
def _worker_build(build_id: Callable[[], str]) -> str:
    return build_id()


def _json_row(row: Any) -> Dict[str, Any]:
    """The row as it reads back from the cache (JSON's types), so that a run
    and its cached copy give the same DataFrame."""
    if not isinstance(row, dict):
        raise TypeError(f"the run returned {type(row).__name__}, not a dict")
    return json.loads(json.dumps(row, allow_nan=True))


def describe_error(error: BaseException) -> str:
    text = str(error).strip()
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def execute(task: RunTask) -> Dict[str, Optional[Any]]:
    """Runs the task: ``{"row": dict or None, "error": str or None}``."""
    try:
        build = _worker_build(task.build_id)
        if build != task.expected_build:
            return {"row": None, "error": f"the worker runs tether build {build}, the sweep {task.expected_build}"}
        scenario = _point_scenario(task.scenario_class, task.scenario_path, task.base_overrides,
                                   task.point_overrides_json)
        if scenario.digest != task.expected_digest:
            return {"row": None, "error": f"the worker reads {task.scenario_path} (or a file it names) "
                                          "with other contents than the sweep's: "
                                          f"digest {scenario.digest}, expected {task.expected_digest}"}
        # A run's warnings are not shown: repeated by every run of a sweep,
        # they would bury its progress bar, and what the sweep returns is
        # the row (tether.simulate shows them to whoever runs it alone).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row = task.run(scenario, task.seed)
        return {"row": _json_row(row), "error": None}
    except Exception as error:  # noqa: BLE001 - every failure is the run's row
        return {"row": None, "error": describe_error(error)}
