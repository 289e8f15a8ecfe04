"""Runs a sweep's tasks on a Dask cluster through the caller's
``dask.distributed.Client``: a LocalCluster, or a scheduler and workers
started by hand (``dask scheduler``, ``dask worker ADDRESS``).

One Dask task per (point, seed): a run takes a fraction of a second to
hours, far more than the scheduler's per-task cost (about a millisecond),
and one task per run lets the cluster balance them and report each. The
workers must import tether (the same build: the task checks it) and read the
scenario's files at the same paths, as on one machine or a shared file
system. A task that Dask itself gives up on (its worker died three times,
the worker cannot unpickle it because tether is not on its path) is that
run's error, not the sweep's.
"""

import secrets
import threading
from typing import Callable, Dict, List

from ._sweep_task import RunTask, describe_error, execute

OnResult = Callable[[RunTask, Dict], None]


def _show_progress(futures: List, client) -> threading.Thread:
    """Dask's own progress bar (the text one: the notebook widget needs
    ipywidgets, which Debian's python3-distributed does not pull in). It
    blocks until the futures end, so it draws from a thread of its own while
    this one collects the results as they come."""
    from distributed import progress

    def draw():
        try:
            progress(futures, notebook=False, scheduler=client.scheduler.address)
        except Exception:  # noqa: BLE001 - a bar that cannot draw must not stop the sweep
            pass

    thread = threading.Thread(target=draw, name="tether-sweep-progress", daemon=True)
    thread.start()
    return thread


def run_dask(client, tasks: List[RunTask], on_result: OnResult, progress: bool) -> None:
    """Runs every task on the client's cluster and calls
    ``on_result(task, result)`` in this process as each one ends."""
    from distributed import as_completed

    if not tasks:
        return
    if getattr(client, "asynchronous", False):
        raise TypeError("tether.sweep needs a synchronous dask.distributed.Client")
    # Keys unique to this sweep (Dask would share a key's result between two
    # sweeps), starting "tether-sweep" for the progress bar's label.
    token = secrets.token_hex(8)
    keys = [f"tether-sweep-{task.point_index}-{task.seed}-{token}" for task in tasks]
    by_key = dict(zip(keys, tasks))
    futures = client.map(execute, tasks, key=keys, pure=False)
    bar = _show_progress(futures, client) if progress else None
    try:
        for future in as_completed(futures):
            task = by_key[future.key]
            try:
                result = future.result()
            except Exception as error:  # noqa: BLE001 - KilledWorker, a task that cannot load
                result = {"row": None, "error": f"on the Dask cluster: {describe_error(error)}"}
            on_result(task, result)
    except BaseException:
        client.cancel(futures)
        raise
    if bar is not None:
        # Lets the bar draw its last state and newline before the caller
        # prints anything.
        bar.join(timeout=5)
