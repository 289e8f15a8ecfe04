"""tether.lab: tether-lab and tether-compare from Python. The lab runs need
root (they skip without it) and are cut to 20 s of real time; the
comparison of existing runs and the refusals without root need none."""

import json
import os
import shutil
import subprocess

import pandas as pd
import pytest

import tether
import tether.lab
import tether.pcap

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def lab_scenario(name):
    return os.path.join(REPO, "scenarios", "lab", name + ".yaml")


# scenarios/lab/nat-expiry.yaml (2 minutes, the shortest with ip-change and
# link-flap) cut to 20 s, two messages, the home keeping its mapping open
# (lab/runner/README.md's cut of it): about 25 s of real time.
SHORT = {"duration": "20s", "workload.count": 2, "workload.start": "5s", "workload.interval": "5s",
         "hosts.carinho.persistent_keepalive": 4}

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (network namespaces, nftables, TUN)")


def needs_tool(name):
    path = tether.tool_path(name)
    return pytest.mark.skipif(not os.path.exists(path), reason=f"{name} is not built ({path})")


def short_scenario():
    return tether.Scenario.load(lab_scenario("nat-expiry")).with_overrides(SHORT)


def dtype_names(frame):
    return {column: "category" if isinstance(dtype, pd.CategoricalDtype) else str(dtype)
            for column, dtype in frame.dtypes.items()}


@needs_root
@needs_tool("tether-lab")
def test_a_lab_run_is_a_run_like_the_simulations(tmp_path):
    scenario = short_scenario()
    run = tether.lab.run(scenario, pcap=True, out=tmp_path / "lab")
    assert run.world == "lab"
    assert run.seed == scenario.seed
    assert run.summary["messages"]["submitted"] == 2
    assert run.summary["messages"]["delivered"] == 2
    assert len(run.messages) == 2 and run.messages["delivered"].notna().all()
    assert (run.messages["latency"] > pd.Timedelta(0)).all()
    simulated = tether.simulate(scenario)
    assert list(run.messages.columns) == list(simulated.messages.columns)
    assert dtype_names(run.messages) == dtype_names(simulated.messages)
    assert list(run.events.columns) == list(simulated.events.columns)
    assert dtype_names(run.events) == dtype_names(simulated.events)
    # Both worlds' clocks start at the scenario's epoch.
    assert run.events["time"].min() >= scenario.epoch
    assert run.events["time"].max() <= scenario.epoch + scenario.duration + pd.Timedelta("5s")
    # The captures are the simulation's names and read as a simulated run's.
    assert "lan-0" in run.pcaps or any("lan-0" in os.fspath(p) for p in run.pcaps.values())
    timeline = tether.pcap.timeline(run)
    assert ((timeline["protocol"] == "wg") & (timeline["kind"] == "initiation")).any()
    assert ((timeline["layer"] == "wg") & (timeline["protocol"] == "smtp")).any()


@needs_root
@needs_tool("tether-lab")
def test_a_refused_lab_run_raises_run_error_with_tether_labs_words():
    refused = tether.Scenario.load(lab_scenario("nat-expiry")).with_overrides({"nat.inbound_refresh": False})
    with pytest.raises(tether.RunError, match="inbound_refresh"):
        tether.lab.run(refused)
    with pytest.raises(tether.RunError, match="duration"):
        tether.lab.run(short_scenario(), max_duration=pd.Timedelta("10s"))


@needs_root
@needs_tool("tether-compare")
def test_a_lab_comparison_runs_both_worlds(tmp_path):
    comparison = tether.lab.compare(short_scenario(), out=tmp_path / "cmp")
    # Within the bounds or not depends on the machine's load (the lab's
    # latency): what is checked here is that both worlds ran and were read.
    assert comparison.exit_code in (0, 1) and comparison.ok == (comparison.outside == [])
    figures = comparison.figures.set_index("figure")
    assert figures.loc["delivered", "lab"] == figures.loc["delivered", "sim"] == "2"
    assert comparison.lab.world == "lab" and comparison.sim.world == "sim"
    assert comparison.lab.summary["messages"]["delivered"] == 2
    assert comparison.uplink is not None
    counts = comparison.uplink.counts.set_index("kind")
    assert counts.loc["wg.initiation", "a"] >= 1 and counts.loc["wg.initiation", "b"] >= 1
    assert comparison.uplink.report.startswith("A: ")


def test_without_root_the_lab_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(PermissionError, match="needs root"):
        tether.lab.run(lab_scenario("nat-expiry"))
    with pytest.raises(PermissionError, match="needs root"):
        tether.lab.compare(lab_scenario("nat-expiry"), out=tmp_path)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """A simulated run standing in for a lab run (with the lab.json tether-lab
    writes) and a simulated run: what tether-compare --reuse-runs reads, as
    tests/lab/compare/tether_compare_test.cc makes it."""
    out = tmp_path_factory.mktemp("compare")
    scenario = lab_scenario("ip-change")
    for world in ("lab", "sim"):
        subprocess.run([tether.tool_path("tether-sim"), scenario, "--pcap", "--out", str(out / world)], check=True,
                       stdout=subprocess.DEVNULL)
    hosts = {name: "tetherd (linux profile)" for name in ("sender", "namorar", "carinho")}
    (out / "lab" / "lab.json").write_text(json.dumps({"world": "lab", "hosts": hosts}))
    return scenario, out


@needs_tool("tether-compare")
def test_compare_reads_what_tether_compare_wrote(two_runs):
    scenario, out = two_runs
    comparison = tether.lab.compare(scenario, out=out, reuse_runs=True)
    assert comparison.ok and comparison.exit_code == 0 and comparison.verdict == "within every bound"
    assert comparison.outside == []
    with open(out / "compare.json") as f:
        assert comparison.json == json.load(f)
    figures = comparison.figures.set_index("figure")
    assert figures.loc["delivered", "lab"] == figures.loc["delivered", "sim"]
    assert set(figures["verdict"].dropna()) <= {"ok", "outside"}
    assert "Result: within every bound" in comparison.report
    # The uplink captures' comparison is tether.pcap's, and agrees with it.
    assert comparison.uplink is not None and comparison.uplink.ok
    direct = tether.pcap.compare(os.path.join(out, "lab"), os.path.join(out, "sim"), link="uplink-0")
    # tether-compare shows uplink counts without checking them: the bounds differ, not the counts.
    columns = ["kind", "a", "b"]
    pd.testing.assert_frame_equal(comparison.uplink.counts[columns], direct.counts[columns])
    assert comparison.sim.world == "sim" and comparison.lab.world == "lab"
    assert comparison.lab.summary == comparison.sim.summary


@needs_tool("tether-compare")
def test_compare_outside_its_bounds_is_a_result_and_bad_input_a_run_error(two_runs, tmp_path):
    scenario, out = two_runs
    changed = tmp_path / "changed"
    shutil.copytree(out, changed)
    subprocess.run([tether.tool_path("tether-sim"), scenario, "--pcap", "--out", str(changed / "sim"),
                    "--set", "hosts.carinho.persistent_keepalive=10"], check=True, stdout=subprocess.DEVNULL)
    comparison = tether.lab.compare(scenario, out=changed, reuse_runs=True, tolerance={"keepalives": "0"})
    assert not comparison.ok and comparison.exit_code == 1
    assert any("keepalives" in line for line in comparison.outside)
    assert comparison.figures.set_index("figure").loc["keepalives", "verdict"] == "outside"

    with pytest.raises(tether.RunError, match="tolerance"):
        tether.lab.compare(scenario, out=out, reuse_runs=True, tolerance="latency=fast")
    with pytest.raises(ValueError, match="reuse_runs needs out"):
        tether.lab.compare(scenario, reuse_runs=True)
