"""tether.sweep: grids, the cache, failures, local workers and Dask.

Runs that must be counted, fail or crash on demand use the stand-ins of
sweep_fakes (through tether.sweep.run_sweep, which takes the run as a
parameter); the rest sweep the real nat-expiry scenario, cut short.
"""

import json
import os
import shutil
import subprocess
import threading
import time

import pytest

import sweep_fakes as fakes
import tether
from tether.sweep import run_sweep


@pytest.fixture
def fake(tmp_path):
    """A fake scenario whose runs leave a file each in `markers`."""
    markers = tmp_path / "markers"
    markers.mkdir()
    scenario = fakes.FakeScenario.load(fakes.write_scenario(str(tmp_path), marker_dir=str(markers)))
    return scenario, str(markers)


def fake_sweep(scenario, grid, seeds, **options):
    options.setdefault("progress", False)
    options.setdefault("run", fakes.fake_run)
    options.setdefault("build_id", fakes.fake_build_id)
    return run_sweep(scenario, grid, seeds, **options)


def cache_files(directory):
    found = {}
    for root, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            found[path] = os.stat(path).st_mtime_ns
    return found


def test_rows_are_the_grid_cross_product_by_point_then_seed(fake):
    scenario, _ = fake
    frame = fake_sweep(scenario, {"a": [3, 1], "b": ["x", "y"]}, [2, 0, 1], jobs=2)
    assert list(frame.columns[:3]) == ["a", "b", "seed"] and frame.columns[-1] == "error"
    points = list(zip(frame["a"], frame["b"], frame["seed"]))
    assert points == [(a, b, s) for a in (3, 1) for b in ("x", "y") for s in (0, 1, 2)]
    assert frame["error"].isna().all()
    # A summary column named like a grid key keeps its value under another name.
    assert list(frame["summary.a"]) == list(frame["a"])


def test_grid_keys_apply_in_their_order_in_the_workers_too(fake):
    # Overrides apply in order, so a point's scenario (and its digest, which
    # the workers check) depends on the keys' order: not sorted on the way.
    scenario, _ = fake
    frame = fake_sweep(scenario, {"b": ["x"], "a": [2, 1]}, range(2), jobs=1)
    assert frame["error"].isna().all(), frame["error"].tolist()
    assert list(frame.columns[:3]) == ["b", "a", "seed"]


def test_a_repeated_sweep_runs_nothing_and_an_extended_one_only_the_new_runs(fake, tmp_path):
    scenario, markers = fake
    cache = str(tmp_path / "cache")
    first = fake_sweep(scenario, {"a": [1, 2]}, range(3), cache=cache, jobs=2)
    assert len(fakes.runs_made(markers)) == 6
    assert first.attrs["sweep"]["runs"] == 6 and first.attrs["sweep"]["cached"] == 0
    files = cache_files(cache)
    assert len(files) == 6

    again = fake_sweep(scenario, {"a": [1, 2]}, range(3), cache=cache, jobs=2)
    assert len(fakes.runs_made(markers)) == 6, "a repeated sweep ran something"
    assert cache_files(cache) == files, "a repeated sweep rewrote its cache"
    assert again.equals(first)

    extended = fake_sweep(scenario, {"a": [1, 2, 5]}, range(4), cache=cache, jobs=2)
    made = fakes.runs_made(markers)
    assert len(made) == 12
    assert extended.attrs["sweep"]["runs"] == 6 and extended.attrs["sweep"]["cached"] == 6
    # Exactly the missing runs: a=5 with every seed, and seed 3 of a=1 and a=2.
    new = sorted((json.loads(run["overrides"][-1].split("=", 1)[1]), run["seed"]) for run in made
                 if not (run["seed"] < 3 and run["overrides"][-1] in ("a=1", "a=2")))
    assert new == [(1, 3), (2, 3), (5, 0), (5, 1), (5, 2), (5, 3)]
    assert extended[extended["seed"] < 3].iloc[:6].reset_index(drop=True).equals(first)


def test_a_new_build_runs_again(fake, tmp_path):
    scenario, markers = fake
    cache = str(tmp_path / "cache")
    fake_sweep(scenario, {"a": [1]}, range(2), cache=cache, jobs=0)
    fake_sweep(scenario, {"a": [1]}, range(2), cache=cache, jobs=0, build_id=fakes.other_build_id)
    assert len(fakes.runs_made(markers)) == 4


def test_a_cache_file_cut_short_is_a_miss(fake, tmp_path):
    scenario, markers = fake
    cache = str(tmp_path / "cache")
    first = fake_sweep(scenario, {"a": [1]}, range(2), cache=cache, jobs=0)
    victim = sorted(cache_files(cache))[0]
    with open(victim, "r+", encoding="utf-8") as file:
        file.truncate(10)
    again = fake_sweep(scenario, {"a": [1]}, range(2), cache=cache, jobs=0)
    assert len(fakes.runs_made(markers)) == 3
    assert again.equals(first)
    with open(victim, encoding="utf-8") as file:
        assert json.load(file)["row"]


def test_two_sweeps_sharing_a_cache_leave_it_whole(fake, tmp_path):
    scenario, _ = fake
    cache = str(tmp_path / "cache")
    frames = []
    threads = [threading.Thread(target=lambda: frames.append(
        fake_sweep(scenario, {"a": [1, 2, 3], "b": ["x", "y"]}, range(5), cache=cache, jobs=0)))
        for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(frames) == 2 and frames[0].equals(frames[1])
    files = cache_files(cache)
    assert len(files) == 30, "a temporary file was left, or a run stored twice"
    for path in files:
        with open(path, encoding="utf-8") as file:
            assert json.load(file)["row"]["scenario"] == "fake"


def test_a_cache_that_cannot_be_written_costs_a_warning_not_the_results(fake, tmp_path):
    from tether._sweep_cache import SweepCache

    class FullDisk(SweepCache):
        def put(self, key, row):
            raise OSError(28, "No space left on device")

    scenario, _ = fake
    with pytest.warns(RuntimeWarning, match="cannot be written"):
        frame = fake_sweep(scenario, {"a": [1, 2]}, range(2), cache=FullDisk(tmp_path / "cache"), jobs=0)
    assert len(frame) == 4 and frame["error"].isna().all()


def test_a_bad_grid_key_is_refused_before_any_run(fake):
    scenario, markers = fake
    with pytest.raises(tether.ScenarioError) as raised:
        fake_sweep(scenario, {"a": [1], "hosts.nobody.persistent_keepalive": [10]}, range(2))
    assert raised.value.field == "hosts.nobody.persistent_keepalive"
    assert fakes.runs_made(markers) == []


@pytest.mark.parametrize("grid, message", [
    ({"a": []}, "has no values"),
    ({"a": "10,20"}, "needs a list of values"),
    ({"a": 10}, "needs a list of values"),
    ({"a": [10, 10]}, "given twice"),
    ({"a": [{"x": 1}]}, "is not an int, float, bool, str"),
    ({"seed": [1, 2]}, "seeds argument"),
])
def test_a_grid_that_is_not_one_names_its_key(fake, grid, message):
    scenario, markers = fake
    with pytest.raises(tether.ScenarioError, match=message) as raised:
        fake_sweep(scenario, grid, range(2))
    assert raised.value.field == next(iter(grid))
    assert fakes.runs_made(markers) == []


@pytest.mark.parametrize("seeds", [5, [], ["1"], [-1], [True]])
def test_seeds_that_are_not_a_list_of_seeds_are_refused(fake, seeds):
    scenario, _ = fake
    with pytest.raises((TypeError, ValueError), match="seeds"):
        fake_sweep(scenario, {"a": [1]}, seeds)


def test_a_run_that_fails_is_a_row_with_its_error_and_is_not_cached(fake, tmp_path):
    scenario, markers = fake
    cache = str(tmp_path / "cache")
    frame = fake_sweep(scenario, {"fail": [False, True]}, range(2), cache=cache, jobs=2)
    assert list(frame["error"].isna()) == [True, True, False, False]
    assert list(frame["error"].dropna()) == ["RunError: the run failed at seed 0", "RunError: the run failed at seed 1"]
    assert frame.attrs["sweep"]["failed"] == 2
    assert len(cache_files(cache)) == 2
    fake_sweep(scenario, {"fail": [False, True]}, range(2), cache=cache, jobs=2)
    assert len(fakes.runs_made(markers)) == 6, "the failed runs were not tried again"


def test_a_run_that_kills_its_worker_is_a_row_and_the_others_finish(fake):
    scenario, _ = fake
    frame = fake_sweep(scenario, {"crash": [False, True]}, range(3), jobs=2)
    errors = list(frame["error"])
    assert errors[:3] == [None, None, None] and errors[3] is None and errors[5] is None
    assert errors[4] == "the worker process died running it (killed by SIGSEGV)"


def test_a_worker_on_another_build_says_so(fake):
    scenario, _ = fake
    frame = fake_sweep(scenario, {"a": [1]}, range(1), jobs=1, build_id=fakes.pid_build_id)
    assert frame["error"][0].startswith("the worker runs tether build pid-")


# --- Dask --------------------------------------------------------------------

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(tether.__file__)))
TESTS_DIR = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def local_cluster():
    distributed = pytest.importorskip("distributed", reason="needs python3-distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        yield client


def _stop_process(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def hand_started_cluster(tmp_path_factory):
    """A scheduler and a worker started as users start them (`dask
    scheduler`, `dask worker`), on loopback, stopped by PID at the end."""
    distributed = pytest.importorskip("distributed", reason="needs python3-distributed")
    dask = shutil.which("dask")
    if dask is None:
        pytest.skip("no `dask` command (python3-distributed)")
    work = tmp_path_factory.mktemp("dask")
    scheduler_file = str(work / "scheduler.json")
    # The worker imports tether (and the tests' stand-ins) as a user's
    # worker would: from its PYTHONPATH.
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [PYTHON_DIR, TESTS_DIR] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    processes = []
    try:
        with open(work / "scheduler.log", "w") as log:
            processes.append(subprocess.Popen(
                [dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                 "--scheduler-file", scheduler_file], stdout=log, stderr=subprocess.STDOUT, env=environment))
        deadline = time.monotonic() + 60
        while not os.path.exists(scheduler_file):
            assert processes[0].poll() is None, (work / "scheduler.log").read_text()
            assert time.monotonic() < deadline, "the scheduler wrote no scheduler file in 60 s"
            time.sleep(0.2)
        with open(work / "worker.log", "w") as log:
            processes.append(subprocess.Popen(
                [dask, "worker", "--scheduler-file", scheduler_file, "--host", "127.0.0.1", "--nworkers", "1",
                 "--nthreads", "1", "--no-dashboard"], stdout=log, stderr=subprocess.STDOUT, env=environment))
        with distributed.Client(scheduler_file=scheduler_file, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
            yield client
    finally:
        for process in reversed(processes):
            _stop_process(process)


def test_a_sweep_on_a_hand_started_scheduler_gives_the_local_rows(fake, hand_started_cluster):
    scenario, markers = fake
    grid = {"a": [1, 2], "fail": [False, True]}
    on_dask = fake_sweep(scenario, grid, range(2), client=hand_started_cluster)
    assert on_dask.equals(fake_sweep(scenario, grid, range(2), jobs=0))
    assert on_dask["error"].notna().sum() == 4
    assert {run["pid"] for run in fakes.runs_made(markers)} - {os.getpid()}, "nothing ran on the worker"


# --- the real simulation -------------------------------------------------------

KEEPALIVE = "hosts.carinho.persistent_keepalive"


@pytest.fixture(scope="module")
def nat_expiry_short():
    """nat-expiry for 30 simulated minutes (three messages): runs of a tenth
    of a second."""
    from conftest import SCENARIOS
    return tether.Scenario.load(SCENARIOS / "nat-expiry.yaml").with_overrides({"duration": "30m"})


def test_a_bad_override_in_the_grid_raises_naming_its_key_before_any_run(nat_expiry_short, tmp_path):
    cache = tmp_path / "cache"
    for grid, key in [({KEEPALIVE: [10], "hosts.nobody.persistent_keepalive": [10]},
                       "hosts.nobody.persistent_keepalive"),
                      ({KEEPALIVE: [10, -5]}, KEEPALIVE),
                      ({"nat.timeouts.udp": ["30s", 120]}, "nat.timeouts.udp")]:
        with pytest.raises(tether.ScenarioError) as raised:
            tether.sweep(nat_expiry_short, grid, range(2), cache=cache, progress=False)
        assert raised.value.field == key
        assert key in str(raised.value)
    assert cache_files(cache) == {}


def test_the_same_point_and_seed_give_the_same_row_in_process_in_a_child_and_on_dask(nat_expiry_short,
                                                                                     local_cluster):
    grid = {KEEPALIVE: [0, 25]}
    in_process = tether.sweep(nat_expiry_short, grid, [1, 2], progress=False, jobs=0)
    in_a_child = tether.sweep(nat_expiry_short, grid, [1, 2], progress=False, jobs=1)
    on_dask = tether.sweep(nat_expiry_short, grid, [1, 2], client=local_cluster, progress=False)
    assert in_process["error"].isna().all(), in_process["error"].tolist()
    assert in_a_child.equals(in_process)
    assert on_dask.equals(in_process)
    # And each is tether.simulate's own row for that point and seed.
    for row in in_process.to_dict("records"):
        alone = tether.simulate(nat_expiry_short.with_overrides({KEEPALIVE: row[KEEPALIVE]}), seed=row["seed"]).row()
        assert {name: row[name] for name in alone} == alone
    # The keepalive does what it should: with it the tunnel stays up.
    availability = in_process.groupby(KEEPALIVE)["tunnel.availability"].mean()
    assert availability[25] > availability[0]


def test_a_local_cluster_gives_the_rows_of_local_workers(nat_expiry_short, local_cluster):
    grid = {KEEPALIVE: [0, 10, 25], "nat.timeouts.udp": ["30s", "2m"]}
    local = tether.sweep(nat_expiry_short, grid, range(2), progress=False, jobs=2)
    on_dask = tether.sweep(nat_expiry_short, grid, range(2), client=local_cluster, progress=False)
    assert local["error"].isna().all() and len(local) == 12
    assert on_dask.equals(local)


def test_a_hand_started_cluster_gives_the_rows_of_local_workers(nat_expiry_short, hand_started_cluster):
    grid = {KEEPALIVE: [0, 25]}
    local = tether.sweep(nat_expiry_short, grid, range(2), progress=False, jobs=0)
    on_dask = tether.sweep(nat_expiry_short, grid, range(2), client=hand_started_cluster, progress=False)
    assert on_dask.equals(local) and local["error"].isna().all()


def test_a_real_sweep_repeated_runs_nothing(nat_expiry_short, tmp_path):
    cache = tmp_path / "cache"
    first = tether.sweep(nat_expiry_short, {KEEPALIVE: [0, 25]}, range(2), cache=cache, progress=False)
    files = cache_files(cache)
    again = tether.sweep(nat_expiry_short, {KEEPALIVE: [0, 25]}, range(2), cache=cache, progress=False)
    assert len(files) == 4 and cache_files(cache) == files
    assert (first.attrs["sweep"]["runs"], again.attrs["sweep"]["runs"], again.attrs["sweep"]["cached"]) == (4, 0, 4)
    assert again.equals(first)


# --- tether-sweep ----------------------------------------------------------------

def tether_sweep(*arguments, cwd=None):
    return subprocess.run([tether.tool_path("tether-sweep"), *map(str, arguments)], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_tether_sweep_writes_a_csv_and_an_hdf5_file(tmp_path):
    from conftest import SCENARIOS
    import pandas as pd
    scenario = SCENARIOS / "nat-expiry.yaml"
    done = tether_sweep(scenario, "--grid", f"{KEEPALIVE}=0,25", "--grid", "duration=30m", "--seeds", "2",
                        "--from-seed", "3", "--out", tmp_path / "rows.csv", "--cache", tmp_path / "cache",
                        "--no-progress")
    assert done.returncode == 0, done.stderr
    rows = pd.read_csv(tmp_path / "rows.csv")
    assert list(rows.columns[:3]) == [KEEPALIVE, "duration", "seed"] and rows.columns[-1] == "error"
    assert {"tunnel.availability", "latency_s.p99", "relays.namorar.retries"} <= set(rows.columns)
    assert list(zip(rows[KEEPALIVE], rows["seed"])) == [(0, 3), (0, 4), (25, 3), (25, 4)]
    assert rows["error"].isna().all()
    assert "4 runs (4 run, 0 from the cache), 0 failed" in done.stderr

    done = tether_sweep(scenario, "--grid", f"{KEEPALIVE}=0,25", "--grid", "duration=30m", "--seeds", "2",
                        "--from-seed", "3", "--out", tmp_path / "rows.h5", "--cache", tmp_path / "cache",
                        "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "(0 run, 4 from the cache)" in done.stderr
    table = pd.read_hdf(tmp_path / "rows.h5", "sweep")
    assert table["tunnel.availability"].tolist() == rows["tunnel.availability"].tolist()


@pytest.mark.parametrize("arguments, message", [
    (["--seeds", "2", "--bogus"], "unknown option '--bogus'"),
    (["--grid", f"{KEEPALIVE}=0,25"], "--seeds is required"),
    (["--seeds", "zero"], "--seeds: 'zero' is not an integer"),
    (["--seeds", "2", "--grid", KEEPALIVE], f"--grid {KEEPALIVE}: expected KEY=V1,V2,..."),
    (["--seeds", "2", "--out", "rows.parquet"], "--out rows.parquet: writes .csv or .h5"),
    (["--seeds", "2", "--jobs", "2", "--scheduler", "tcp://127.0.0.1:1"], "--jobs is for local runs"),
    (["--seeds", "1", "--grid", "hosts.nobody.persistent_keepalive=1"], "hosts.nobody.persistent_keepalive"),
])
def test_tether_sweep_refuses_bad_usage_naming_the_option(arguments, message, tmp_path):
    from conftest import SCENARIOS
    done = tether_sweep(SCENARIOS / "nat-expiry.yaml", *arguments, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert not done.stdout


def test_tether_sweep_help():
    done = tether_sweep("--help")
    assert done.returncode == 0 and done.stdout.startswith("usage: tether-sweep SCENARIO.yaml --grid")
    assert "--scheduler ADDRESS" in done.stdout
