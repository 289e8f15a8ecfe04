"""tether.Scenario and tether.simulate: the CLI's validation and errors as
Python exceptions, typed frames, and runs that equal tether-sim's and each
other's whatever process they run in."""

import json
import os
import shutil
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

import tether
from conftest import SCENARIOS


def test_a_scenario_says_what_it_holds(nat_expiry_1h):
    assert nat_expiry_1h.name == "nat-expiry"
    assert nat_expiry_1h.hosts == ["sender", "namorar", "carinho"]
    assert nat_expiry_1h.duration == pd.Timedelta(hours=1)
    assert nat_expiry_1h.epoch == pd.Timestamp("2026-01-01T00:00:00Z")
    assert nat_expiry_1h.overrides == ("duration=1h",)
    assert any(f.endswith("wg0.conf") for f in nat_expiry_1h.config_files)


def test_the_digest_follows_the_file_the_overrides_and_the_configs(tmp_path, nat_expiry_1h):
    copy = tmp_path / "scenarios"
    shutil.copytree(SCENARIOS, copy, ignore=shutil.ignore_patterns("lab", "seed-week*"))
    mine = tether.Scenario.load(copy / "nat-expiry.yaml").with_overrides({"duration": "1h"})
    assert mine.digest == tether.Scenario.load(copy / "nat-expiry.yaml").with_overrides({"duration": "1h"}).digest
    assert mine.digest != mine.with_overrides({"seed": 2}).digest
    before = mine.digest
    wg0 = copy / "backup-mx-fallback/carinho/etc/wireguard/wg0.conf"
    wg0.write_text(wg0.read_text() + "\n# a comment changes the file\n")
    assert tether.Scenario.load(copy / "nat-expiry.yaml").with_overrides({"duration": "1h"}).digest != before


def test_a_bad_file_names_its_file_line_and_field(tmp_path):
    text = (SCENARIOS / "nat-expiry.yaml").read_text().splitlines()
    at = next(i for i, line in enumerate(text) if line.startswith("duration:"))
    text[at] = "duration: 8 hours"
    broken = tmp_path / "broken.yaml"
    shutil.copytree(SCENARIOS / "backup-mx-fallback", tmp_path / "backup-mx-fallback")
    broken.write_text("\n".join(text) + "\n")
    with pytest.raises(tether.ScenarioError) as raised:
        tether.Scenario.load(broken)
    error = raised.value
    assert error.file.endswith("broken.yaml")
    assert error.line == at + 1
    assert error.field == "duration"
    assert "8 hours" in str(error)
    # The same words as the CLI's.
    cli = subprocess.run([tether.tool_path("tether-sim"), str(broken)], capture_output=True, text=True)
    assert cli.returncode == 2
    assert str(error) in cli.stderr


def test_a_bad_override_names_its_key(nat_expiry_1h):
    with pytest.raises(tether.ScenarioError) as raised:
        nat_expiry_1h.with_overrides({"hosts.carinho.persistent_keepalive": "soon"})
    assert raised.value.field == "hosts.carinho.persistent_keepalive"
    assert raised.value.file == "--set hosts.carinho.persistent_keepalive=soon"
    with pytest.raises(tether.ScenarioError) as raised:
        nat_expiry_1h.with_overrides({"nat.timeoutz": 30})
    assert raised.value.field == "nat.timeoutz"
    assert "did you mean 'timeouts'" in str(raised.value)


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        tether.Scenario.load(tmp_path / "nothing.yaml")


def test_frames_are_typed_at_the_scenario_epoch(nat_expiry_1h):
    run = tether.simulate(nat_expiry_1h, seed=2)
    m = run.messages
    assert str(m["submitted"].dtype) == "datetime64[ns, UTC]"
    assert str(m["latency"].dtype) == "timedelta64[ns]"
    assert m["status"].dtype == "category" and m["via_backup"].dtype == bool
    assert (m["submitted"] >= nat_expiry_1h.epoch).all()
    delivered = m[m["status"] == "delivered"]
    assert len(delivered) == run.summary["messages"]["delivered"] > 0
    # latency runs from the sender's first attempt (results.json's "from").
    gap = (delivered["delivered"] - delivered["first_attempt"] - delivered["latency"]).abs()
    assert (gap <= pd.Timedelta(milliseconds=1)).all()
    assert str(run.events["time"].dtype) == "datetime64[ns, UTC]"
    assert run.events["time"].is_monotonic_increasing
    assert run.out is None and run.pcaps == {}
    assert run.row()["messages.delivered"] == len(delivered)
    assert run.row()["relays.namorar.attempts"] >= len(delivered)


def test_a_run_equals_tether_sims(tmp_path, nat_expiry_1h):
    run = tether.simulate(nat_expiry_1h, seed=4, out=tmp_path / "py")
    subprocess.run([tether.tool_path("tether-sim"), nat_expiry_1h.path, "--seed", "4", "--set", "duration=1h",
                    "--out", str(tmp_path / "cli")], check=True, capture_output=True)
    for name in ("results.json", "messages.csv", "events.csv"):
        assert (tmp_path / "py" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name
    assert run.summary == json.loads((tmp_path / "cli" / "results.json").read_text())
    assert run.out == str(tmp_path / "py")


def _same(a, b):
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.messages, b.messages)
    pd.testing.assert_frame_equal(a.events, b.events)


def test_runs_in_one_process_equal_runs_in_separate_ones(nat_expiry_1h, tmp_path):
    first = tether.simulate(nat_expiry_1h, seed=5)
    # Another world in between: nothing of it may leak into the next run.
    tether.simulate(SCENARIOS / "ip-change.yaml", seed=9)
    _same(first, tether.simulate(nat_expiry_1h, seed=5))
    child = subprocess.run(
        [sys.executable, "-c",
         "import sys, tether\n"
         "s = tether.Scenario.load(sys.argv[1]).with_overrides({'duration': '1h'})\n"
         "tether.simulate(s, seed=5, out=sys.argv[2])\n", nat_expiry_1h.path, str(tmp_path / "child")],
        capture_output=True, text=True, env=dict(os.environ))
    assert child.returncode == 0, child.stderr
    _same(first, tether.Run.from_dir(tmp_path / "child", nat_expiry_1h, 5, "sim"))
    assert tether.simulate(nat_expiry_1h, seed=6).summary != first.summary


def test_pcaps_are_kept_in_a_directory_the_run_names(nat_expiry_1h):
    run = tether.simulate(nat_expiry_1h, pcap=True)
    try:
        assert run.out and os.path.isdir(run.out)
        assert run.pcaps and all(os.path.getsize(p) > 24 for p in run.pcaps.values())
    finally:
        shutil.rmtree(run.out)


def test_a_run_that_cannot_keep_its_results_is_a_run_error(tmp_path, nat_expiry_1h):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(tether.RunError) as raised:
        tether.simulate(nat_expiry_1h, out=blocker)
    assert "a-file" in str(raised.value)


def test_the_gil_is_released_while_ns3_runs():
    # An eight-hour nat-expiry runs for most of a second; a thread holding
    # the GIL that long would stop this loop for as long.
    scenario = tether.Scenario.load(SCENARIOS / "nat-expiry.yaml")
    span = {}

    def run():
        span["start"] = time.monotonic()
        tether.simulate(scenario)
        span["end"] = time.monotonic()

    worker = threading.Thread(target=run)
    ticks = []
    worker.start()
    while worker.is_alive():
        ticks.append(time.monotonic())
        time.sleep(0.001)
    worker.join()
    during = [t for t in ticks if span["start"] < t < span["end"]]
    length = span["end"] - span["start"]
    assert len(during) > 10, f"the main thread ran {len(during)} times during a {length:.2f} s run"
    widest = max(b - a for a, b in zip([span["start"], *during], [*during, span["end"]]))
    assert widest < length / 2, f"the main thread stood still for {widest:.2f} s of a {length:.2f} s run"
