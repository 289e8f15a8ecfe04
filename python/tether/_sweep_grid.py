"""A sweep's grid and seeds: what the user asked for, checked before any run.

The grid is ``{key: [values]}``; its points are the cross product of the
value lists, in the order the keys and values are given (the first key
varies slowest, as ``itertools.product`` and nsnam sem's
``list_param_combinations`` do). Each point is applied to the scenario with
``Scenario.with_overrides`` here, in the calling process, so that a bad key
or value stops the sweep with a ScenarioError naming the key before anything
runs (scenarios/README.md: the same errors as ``--set``).
"""

import itertools
import json
import numbers
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping

# The largest seed a scenario takes (scenario_parser.cc reads it as uint64).
MAX_SEED = 2**64 - 1

# The types ``Scenario.with_overrides`` takes (python/tether/scenario.py).
_SCALARS = (bool, int, float, str)


@dataclass(frozen=True)
class Point:
    """One point of the grid: its position in grid order, its overrides (the
    grid's keys in order) and the scenario with them applied."""

    index: int
    overrides: Dict[str, Any]
    scenario: Any


def grid_error(key: str, message: str) -> Exception:
    """A ScenarioError about a grid key, as ``with_overrides`` raises them."""
    from . import Problem, ScenarioError

    return ScenarioError([Problem("grid", 0, key, message)])


def canonical(value: Any) -> str:
    """The JSON text of an override value: how values are compared (so that
    10, 10.0 and True stay distinct) and a point is sent to its workers. A
    point's keys keep their order: overrides apply in order, as --set's do,
    and the scenario's digest depends on it."""
    return json.dumps(value, separators=(",", ":"))


def _plain(value: Any) -> Any:
    """numpy scalars and arrays (np.arange is a natural way to write a grid)
    as the Python values with_overrides takes."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "shape", None) == ():
        return value.item()
    if hasattr(value, "tolist") and callable(value.tolist):
        return value.tolist()
    return value


def _check_value(key: str, value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, (list, tuple)):
        items = [_plain(item) for item in value]
        if all(isinstance(item, _SCALARS) for item in items):
            return items
    raise grid_error(key, f"value {value!r} is not an int, float, bool, str or a list of them")


def normalize_grid(grid: Mapping[str, Any]) -> Dict[str, List[Any]]:
    """The grid as {key: [values]}, every value a plain Python value; raises a
    ScenarioError naming the key for a value list that is not one, empty or
    with a value twice (which would give the same point twice)."""
    if grid is None:
        return {}
    if not isinstance(grid, Mapping):
        raise TypeError(f"grid must be a dict {{key: [values]}}, not {type(grid).__name__}")
    normalized: Dict[str, List[Any]] = {}
    for key, values in grid.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"grid keys are scenario keys such as 'nat.timeouts.udp', not {key!r}")
        if key == "seed":
            raise grid_error(key, "seeds are swept by the seeds argument (--seeds), not by the grid")
        values = _plain(values)
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise grid_error(key, f"needs a list of values, e.g. [{values!r}], not {values!r}")
        checked = [_check_value(key, value) for value in values]
        if not checked:
            raise grid_error(key, "has no values")
        seen = set()
        for value in checked:
            text = canonical(value)
            if text in seen:
                raise grid_error(key, f"value {value!r} is given twice")
            seen.add(text)
        normalized[key] = checked
    return normalized


def normalize_seeds(seeds: Any) -> List[int]:
    """The seeds, ascending and each once (a sweep's rows are sorted by point,
    then seed, whatever order they came in)."""
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        raise TypeError(f"seeds is a list of seeds, e.g. range({seeds}), not the number {seeds}")
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds is a list of seeds, e.g. range(10), not {seeds!r}")
    checked = set()
    for seed in seeds:
        seed = _plain(seed)
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise ValueError(f"seeds: {seed!r} is not an integer")
        if not 0 <= seed <= MAX_SEED:
            raise ValueError(f"seeds: {seed} is outside 0..{MAX_SEED}")
        checked.add(int(seed))
    if not checked:
        raise ValueError("seeds: no seed given")
    return sorted(checked)


def plan_points(scenario: Any, grid: Dict[str, List[Any]]) -> List[Point]:
    """Every point of the grid applied to the scenario. with_overrides raises
    the first bad point's ScenarioError (its field is the key); the points
    are checked whole because some values are only wrong together."""
    keys = list(grid)
    points = []
    for index, values in enumerate(itertools.product(*(grid[key] for key in keys))):
        overrides = dict(zip(keys, values))
        try:
            point_scenario = scenario.with_overrides(overrides) if overrides else scenario
        except Exception as error:
            renamed = _naming_keys(error, keys)
            if renamed is error:
                raise
            raise renamed from None
        points.append(Point(index, overrides, point_scenario))
    return points


def _naming_keys(error: Exception, keys: List[str]) -> Exception:
    """The error with each override's problem naming its grid key as its
    field. The parser names the field it stopped at, which for a key whose
    parent does not exist (hosts.nobody.persistent_keepalive) is only the
    parent, or none; a sweep's user looks for the grid key."""
    problems = getattr(error, "problems", None)
    if not problems:
        return error
    renamed, changed = [], False
    for problem in problems:
        key = next((k for k in keys if str(problem.file).startswith(f"--set {k}=")), None)
        if key is not None and problem.field != key:
            message = f"{problem.field}: {problem.message}" if problem.field else problem.message
            problem = type(problem)(problem.file, problem.line, key, message)
            changed = True
        renamed.append(problem)
    return type(error)(renamed) if changed else error

