"""Runs a sweep's tasks on worker processes of this machine, one per core.

The workers are started by multiprocessing's ``forkserver`` (``spawn`` where
there is none), never by a plain ``fork`` of the caller: the caller may hold
tether's run lock or ns-3's global state in another thread (a notebook that
simulates while it sweeps, Dask's or tqdm's threads), and a forked child
inherits a held lock with no thread to release it. The fork server is a
fresh interpreter that has imported nothing of ours; each worker imports
tether once and keeps it for all its runs (tether.simulate resets ns-3
between runs). As with any multiprocessing start method but fork, a script
that sweeps must keep its top level under ``if __name__ == "__main__":``.

A worker that dies (a crash in the simulation, the OOM killer) breaks
Python's process pool and fails every run in flight with it. Those runs are
then done again one at a time, each in a process of its own, so that the one
that kills its process is reported with its exit status and the others get
their results; the rest of the sweep goes on in a new pool.
"""

import collections
import multiprocessing
import os
import signal
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Dict, Iterable, List, Optional

from ._sweep_task import RunTask, execute

OnResult = Callable[[RunTask, Dict], None]


def default_jobs() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def start_context() -> multiprocessing.context.BaseContext:
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def run_local(tasks: Iterable[RunTask], jobs: Optional[int], on_result: OnResult) -> None:
    """Runs every task and calls ``on_result(task, result)`` in this process
    as each one ends, in completion order. ``jobs=0`` runs them here, one
    after another (for a debugger, or where processes cannot be made)."""
    tasks = list(tasks)
    if jobs is None:
        jobs = default_jobs()
    if jobs < 0:
        raise ValueError(f"jobs must be 0 (in this process) or more, not {jobs}")
    if jobs == 0:
        for task in tasks:
            on_result(task, execute(task))
        return
    pending = collections.deque(tasks)
    while pending:
        crashed = _run_pool(pending, min(jobs, len(pending)), on_result)
        for task in crashed:
            on_result(task, _run_alone(task))


def _run_pool(pending: "collections.deque[RunTask]", jobs: int, on_result: OnResult) -> List[RunTask]:
    """Runs tasks from ``pending`` on a pool until it is empty or the pool
    breaks; returns the tasks that were in flight when it broke. At most two
    tasks per worker are in flight, so few are suspects after a crash and an
    interrupt has few to wait for."""
    in_flight = {}
    executor = ProcessPoolExecutor(max_workers=jobs, mp_context=start_context())
    finished = False
    try:
        while pending or in_flight:
            while pending and len(in_flight) < 2 * jobs:
                task = pending.popleft()
                in_flight[executor.submit(execute, task)] = task
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    continue
                on_result(in_flight.pop(future), result)
            if broken:
                return list(in_flight.values())
        finished = True
        return []
    finally:
        if finished:
            executor.shutdown(wait=True)
        else:
            _stop(executor)


def _stop(executor: ProcessPoolExecutor) -> None:
    """Stops the pool without waiting for the runs in flight (an interrupt,
    a broken pool): their workers are terminated."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


def _child(task: RunTask, connection) -> None:
    connection.send(execute(task))
    connection.close()


def _run_alone(task: RunTask) -> Dict:
    """Runs a task that was in flight when a worker died, in a process of its
    own: its result, or its error naming how the process ended."""
    context = start_context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(task, sender), name="tether-sweep-run")
    process.start()
    sender.close()
    try:
        result = receiver.recv()
    except EOFError:
        result = None
    finally:
        process.join()
        receiver.close()
    if result is not None:
        return result
    return {"row": None, "error": f"the worker process died running it ({_exit_text(process.exitcode)})"}


def _exit_text(exitcode: Optional[int]) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit status {exitcode}"
