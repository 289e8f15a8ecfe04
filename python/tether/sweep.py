"""``tether.sweep``: a scenario over a grid of overrides and a set of seeds,
as one DataFrame (issue 13, "Sweeps").

The pieces: the grid and seeds are checked and the points planned in
_sweep_grid; finished runs are cached in _sweep_cache; each run is a task
(_sweep_task) done by worker processes of this machine (_sweep_local) or on
a Dask cluster (_sweep_dask). Like nsnam's sem, a sweep runs only what its
cache lacks, so repeating it runs nothing and extending its grid or seeds
runs only the new runs.
"""

import json
import os
import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import pandas as pd

from ._sweep_cache import SweepCache, run_key
from ._sweep_grid import canonical, normalize_grid, normalize_seeds, plan_points
from ._sweep_task import RunTask, simulate_row, tether_build_id


def sweep(scenario, grid: Optional[Mapping[str, Any]], seeds, client=None, cache=None, progress: bool = True,
          jobs: Optional[int] = None) -> pd.DataFrame:
    """Runs ``scenario`` at every point of ``grid`` with every seed.

    scenario: a tether.Scenario or the path of a scenario file.
    grid: ``{key: [values]}``, scenario keys as ``--set`` takes them
        (``{"hosts.carinho.persistent_keepalive": [0, 10, 25]}``); the points
        are the cross product of the value lists. ``{}`` or None: one point,
        the scenario as it is.
    seeds: the seeds to run each point with, e.g. ``range(10)``.
    client: a ``dask.distributed.Client`` to run on its cluster; None runs on
        worker processes of this machine.
    cache: a directory for finished runs (created if missing); a run whose
        scenario files, overrides, seed and tether build are all unchanged
        is read from it rather than run again. None: no cache.
    progress: show a progress bar (tqdm here, Dask's on a cluster).
    jobs: local worker processes (default: one per core; 0 runs in this
        process, e.g. under a debugger).

    Returns one row per point and seed, sorted by point (grid order) then
    seed: the grid's keys, ``seed``, the run's flattened summary
    (tether.flatten_summary; a summary column named like a grid key is
    renamed ``summary.KEY``) and ``error`` (None, or why the run failed: a
    failed run is a row, never an aborted sweep). ``df.attrs["sweep"]`` says
    how many runs were done and how many were read from the cache.

    Raises ScenarioError (its ``field`` the key) for a grid key or value that
    ``Scenario.with_overrides`` refuses, before anything runs.
    """
    return run_sweep(scenario, grid, seeds, client=client, cache=cache, progress=progress, jobs=jobs)


def run_sweep(scenario, grid, seeds, client=None, cache=None, progress: bool = True, jobs: Optional[int] = None,
              run: Callable[[Any, int], Dict[str, Any]] = simulate_row,
              build_id: Callable[[], str] = tether_build_id) -> pd.DataFrame:
    """sweep() with the run itself and the build's identity as parameters
    (module-level functions, as workers import them by name): the tests
    sweep with runs of their own through it."""
    if client is not None and jobs is not None:
        raise ValueError("jobs is for a local sweep; a Dask cluster has its own workers")
    scenario = _load(scenario)
    grid = normalize_grid(grid)
    seeds = normalize_seeds(seeds)
    points = plan_points(scenario, grid)
    build = build_id()
    store = cache if isinstance(cache, SweepCache) or cache is None else SweepCache(cache)

    results: Dict[Tuple[int, int], Dict[str, Any]] = {}
    keys: Dict[Tuple[int, int], Dict[str, Any]] = {}
    tasks: List[RunTask] = []
    for point in points:
        point_json = canonical(point.overrides)
        for seed in seeds:
            order = (point.index, seed)
            keys[order] = run_key(point.scenario.digest, json.loads(point_json), seed, build)
            row = store.get(keys[order]) if store is not None else None
            if row is not None:
                results[order] = {"row": row, "error": None}
                continue
            tasks.append(RunTask(point.index, seed, type(scenario), os.path.abspath(scenario.path),
                                 tuple(scenario.overrides), point_json, point.scenario.digest, build, run,
                                 build_id))

    cached = len(results)
    bar = _local_bar(scenario, len(keys), cached) if progress and client is None else None

    cache_failure: List[str] = []

    def on_result(task: RunTask, result: Dict[str, Any]) -> None:
        results[task.order] = result
        if store is not None and not cache_failure and result.get("error") is None and result.get("row") is not None:
            try:
                store.put(keys[task.order], result["row"])
            except OSError as error:
                # A full disk must not cost the sweep its results: they are
                # returned, only no longer kept.
                cache_failure.append(str(error))
                warnings.warn(f"tether.sweep: the cache {store.directory} cannot be written ({error}); "
                              "the rest of the sweep is not cached", RuntimeWarning, stacklevel=2)
        if bar is not None:
            bar.update(1)

    try:
        if client is not None:
            from ._sweep_dask import run_dask

            run_dask(client, tasks, on_result, progress)
        else:
            from ._sweep_local import run_local

            run_local(tasks, jobs, on_result)
    finally:
        if bar is not None:
            bar.close()

    frame = _frame(list(grid), points, seeds, results)
    frame.attrs["sweep"] = {"scenario": scenario.path, "build_id": build, "runs": len(tasks),
                            "cached": cached, "failed": int(frame["error"].notna().sum())}
    return frame


def _load(scenario):
    if isinstance(scenario, (str, os.PathLike)):
        from . import Scenario

        return Scenario.load(os.fspath(scenario))
    return scenario


def _local_bar(scenario, total: int, cached: int):
    from tqdm import tqdm

    return tqdm(total=total, initial=cached, desc=f"sweep {getattr(scenario, 'name', '')}".rstrip(),
                unit="run", dynamic_ncols=True)


def _frame(grid_keys: List[str], points, seeds: List[int], results) -> pd.DataFrame:
    """The rows in point, then seed order, whatever order the runs ended in."""
    fixed = set(grid_keys) | {"seed", "error"}
    rows = []
    summary_columns: Dict[str, None] = {}
    for point in points:
        for seed in seeds:
            result = results[(point.index, seed)]
            row = dict(point.overrides)
            row["seed"] = seed
            for name, value in (result.get("row") or {}).items():
                if name == "seed":
                    continue  # the summary's own seed: the same as the run's
                column = f"summary.{name}" if name in fixed else name
                summary_columns.setdefault(column)
                row[column] = value
            row["error"] = result.get("error")
            rows.append(row)
    columns = grid_keys + ["seed"] + list(summary_columns) + ["error"]
    return pd.DataFrame(rows, columns=columns)
