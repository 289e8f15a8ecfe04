"""tether.pcap against tether-pcap: the same captures give the same rows,
the same comparison and the same verdict; broken inputs give problems or a
clear error, never a crash."""

import io
import json
import os
import shutil
import subprocess
import warnings

import numpy as np
import pandas as pd
import pytest

import tether
import tether.pcap

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NAT_EXPIRY = os.path.join(REPO, "scenarios", "nat-expiry.yaml")
ARTICLE_TRACE = os.path.join(REPO, "tests", "pcap", "data", "article-keepalives-0755.txt")

# nat-expiry cut to 20 minutes with three messages (docs/pcap.md's example):
# WireGuard handshakes and keepalives, TCP and SMTP in and out of the tunnel.
SHORT_RUN = ["--set", "duration=20m", "--set", "workload.count=3", "--set", "workload.start=2m",
             "--set", "workload.interval=5m"]


def simulate_with_pcap(out, *extra):
    subprocess.run([tether.tool_path("tether-sim"), NAT_EXPIRY, "--pcap", "--out", str(out), *SHORT_RUN, *extra],
                   check=True, stdout=subprocess.DEVNULL)
    return str(out)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return simulate_with_pcap(tmp_path_factory.mktemp("ka25"))


@pytest.fixture(scope="module")
def run_dir_ka10(tmp_path_factory):
    return simulate_with_pcap(tmp_path_factory.mktemp("ka10"), "--set", "hosts.carinho.persistent_keepalive=10")


def cli(*arguments, check=True):
    return subprocess.run([tether.tool_path("tether-pcap"), *arguments], check=check, capture_output=True,
                          text=True)


def cli_timeline(*arguments):
    """tether-pcap timeline --format csv, read with every field as text."""
    out = cli("timeline", *arguments, "--format", "csv").stdout
    return pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)


def assert_same_rows(frame, csv):
    """The DataFrame row for row against the CLI's CSV, every column."""
    assert len(frame) == len(csv) > 0
    assert list(frame.columns) == ["time"] + list(csv.columns)[1:]
    ns = frame["time"].astype("int64")
    expected_ns = [int(s.replace(".", "")) for s in csv["time_s"]]  # SECONDS.NNNNNNNNN
    assert list(ns) == expected_ns

    def text(column):
        return ["" if pd.isna(v) else str(v) for v in frame[column]]

    for column in ("source", "kind", "detail", "link", "destination", "layer", "protocol", "smtp_verb", "tcp_flags"):
        assert text(column) == list(csv[column]), column
    for column in ("capture", "packet", "wg_type", "wg_counter", "wg_session", "smtp_code"):
        assert text(column) == list(csv[column]), column
    for column in ("wg_sender", "wg_receiver"):
        assert ["" if pd.isna(v) else f"0x{int(v):08x}" for v in frame[column]] == list(csv[column]), column
    assert ["" if pd.isna(v) else str(int(v)) for v in frame["wg_keepalive"]] == list(csv["wg_keepalive"])


def test_timeline_of_a_run_equals_the_cli_row_for_row(run_dir):
    frame = tether.pcap.timeline(run_dir)
    assert_same_rows(frame, cli_timeline(run_dir))
    # The home's link, tunnel decrypted with the run's key logs: SMTP inside.
    assert (frame["layer"] == "wg").any()
    assert ((frame["layer"] == "wg") & (frame["protocol"] == "smtp")).any()
    assert {"initiation", "response", "keepalive"} <= set(frame.loc[frame["protocol"] == "wg", "kind"])
    assert frame.attrs["problems"] == []
    assert frame.attrs["counts"]["wg_decrypted"] > 0


def test_timeline_columns_are_typed(run_dir):
    frame = tether.pcap.timeline(run_dir)
    assert str(frame["time"].dtype) == "datetime64[ns, UTC]"
    for column in ("kind", "link", "layer", "protocol", "smtp_verb", "tcp_flags"):
        assert isinstance(frame[column].dtype, pd.CategoricalDtype), column
    for column in ("capture", "packet", "wg_type", "wg_sender", "wg_receiver", "wg_session", "smtp_code"):
        assert str(frame[column].dtype) == "Int64", column
    assert str(frame["wg_counter"].dtype) == "UInt64"
    assert str(frame["wg_keepalive"].dtype) == "boolean"
    assert frame["time"].is_monotonic_increasing
    # The capture carries the scenario's wall clock (epoch + simulated time).
    assert frame["time"].iloc[0].year >= 2000
    # Keepalives are transport messages with the keepalive flag.
    keepalives = frame[(frame["protocol"] == "wg") & (frame["kind"] == "keepalive")]
    assert keepalives["wg_keepalive"].all() and (keepalives["wg_type"] == 4).all()


def test_timeline_of_several_links_and_a_file_with_its_key_log(run_dir):
    both = tether.pcap.timeline(run_dir, link=["lan-0", "uplink-0"])
    assert_same_rows(both, cli_timeline(run_dir, "--link", "lan-0", "--link", "uplink-0"))
    assert {os.path.basename(link) for link in both["link"].dropna().unique()} == {"lan-0.pcap", "uplink-0.pcap"}

    pcap_file = os.path.join(run_dir, "pcap", "lan-0.pcap")
    keylog = os.path.join(run_dir, "pcap", "carinho-wg-keys.log")
    frame = tether.pcap.timeline(pcap_file, keylog=keylog)
    assert_same_rows(frame, cli_timeline(pcap_file, "--keylog", keylog))
    without_keys = tether.pcap.timeline(pcap_file)
    assert not (without_keys["layer"] == "wg").any()
    only_port = tether.pcap.timeline(pcap_file, wg_port=51820, heuristic=False)
    assert_same_rows(only_port, cli_timeline(pcap_file, "--wg-port", "51820", "--no-heuristic"))


def test_timeline_of_a_text_trace_takes_its_day(run_dir):
    frame = tether.pcap.timeline(ARTICLE_TRACE, date="2026-01-01")
    assert_same_rows(frame, cli_timeline(ARTICLE_TRACE, "--date", "2026-01-01"))
    assert (frame["time"].dt.date == pd.Timestamp("2026-01-01").date()).all()
    same = tether.pcap.timeline(ARTICLE_TRACE, date=pd.Timestamp("2026-01-01"))
    pd.testing.assert_frame_equal(frame, same)
    with pytest.raises(ValueError, match="not a date"):
        tether.pcap.timeline(ARTICLE_TRACE, date="2026-13-01")


def test_a_truncated_capture_gives_its_problems_and_keeps_what_it_read(run_dir, tmp_path):
    whole = os.path.join(run_dir, "pcap", "uplink-0.pcap")
    cut = tmp_path / "cut.pcap"
    data = open(whole, "rb").read()
    cut.write_bytes(data[: len(data) * 2 // 3 + 7])  # mid-record
    with pytest.warns(tether.pcap.CaptureWarning, match="cut.pcap"):
        frame = tether.pcap.timeline(str(cut))
    assert len(frame) > 0
    assert len(frame) < len(tether.pcap.timeline(whole))
    problems = frame.attrs["problems"]
    assert problems and all("cut.pcap" in p for p in problems)
    assert any("packet" in p for p in problems)
    # As the CLI reports them (its stderr), the same rows.
    result = cli("timeline", str(cut), "--format", "csv")
    assert [line.removeprefix("tether-pcap: ") for line in result.stderr.splitlines()] == problems
    assert_same_rows(frame, pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False))


def test_an_unreadable_input_raises_naming_the_file(run_dir, tmp_path):
    header_only = tmp_path / "header.pcap"
    header_only.write_bytes(open(os.path.join(run_dir, "pcap", "lan-0.pcap"), "rb").read()[:10])
    with pytest.raises(tether.pcap.CaptureError) as error:
        tether.pcap.timeline(str(header_only))
    assert error.value.file == str(header_only)
    assert str(header_only) in str(error.value)

    empty = tmp_path / "empty.pcap"
    empty.write_bytes(b"")
    with pytest.raises(tether.pcap.CaptureError, match="empty.pcap"):
        tether.pcap.timeline(str(empty))

    missing = tmp_path / "missing.pcap"
    with pytest.raises(FileNotFoundError, match="missing.pcap"):
        tether.pcap.timeline(str(missing))

    no_captures = tmp_path / "results-only"
    no_captures.mkdir()
    shutil.copy(os.path.join(run_dir, "results.json"), no_captures)
    with pytest.raises(FileNotFoundError, match="--pcap"):
        tether.pcap.timeline(str(no_captures))
    with pytest.raises(FileNotFoundError, match="no link matches"):
        tether.pcap.timeline(run_dir, link="nowhere-*")


def test_garbage_is_a_problem_not_a_crash(tmp_path):
    garbage = tmp_path / "garbage.pcap"
    garbage.write_bytes(os.urandom(4096))
    with pytest.raises(tether.pcap.CaptureError, match="garbage.pcap"):
        tether.pcap.timeline(str(garbage))
    text = tmp_path / "trace.txt"
    text.write_text("07:41:33.301011 this is not a packet line\nprose\n07:61:59.274488 IP 1.2.3.4 > 5.6.7.8: x\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = tether.pcap.timeline(str(text))
    assert len(frame) == 0 and list(frame.columns)[0] == "time"
    assert frame.attrs["problems"] and all("trace.txt" in p for p in frame.attrs["problems"])
    assert len(caught) == len(frame.attrs["problems"])


def test_compare_of_a_run_with_itself_is_ok(run_dir):
    comparison = tether.pcap.compare(run_dir, run_dir)
    assert comparison.ok and comparison.exit_code == 0
    assert comparison.verdict == "within every bound" and comparison.failures == []
    assert (comparison.counts["a"] == comparison.counts["b"]).all()
    assert comparison.order["equal"] and comparison.order["ok"]
    assert len(comparison.intervals) > 0
    assert (comparison.intervals["w1_s"].dropna() == 0).all()
    assert (comparison.intervals["ks"].dropna() == 0).all()
    assert (comparison.matched["max_abs_s"] == 0).all()
    assert comparison.a["anchor"] == comparison.b["anchor"]
    # The CLI prints the same report, exit 0.
    result = cli("compare", run_dir, run_dir, check=False)
    assert result.returncode == 0
    assert result.stdout == comparison.report


def test_compare_matches_the_cli_on_a_changed_keepalive(run_dir, run_dir_ka10):
    comparison = tether.pcap.compare(run_dir, run_dir_ka10)
    result = cli("compare", run_dir, run_dir_ka10, "--format", "json", check=False)
    assert result.returncode == 1 and not comparison.ok and comparison.exit_code == 1
    assert comparison.json == json.loads(result.stdout)
    assert comparison.verdict == f"{len(comparison.failures)} outside their bounds"
    assert any("keepalive" in f for f in comparison.failures)
    keepalives = comparison.counts.set_index("kind").loc["wg.keepalive"]
    assert keepalives["b"] > keepalives["a"] and not keepalives["ok"]
    interval = comparison.intervals.set_index("kind").loc["wg.keepalive.initiator"]
    assert interval["a_median_s"] == pytest.approx(25, abs=0.5)
    assert interval["b_median_s"] == pytest.approx(10, abs=0.5)
    values = comparison.interval_values
    mine = values[(values["kind"] == "wg.keepalive.initiator") & (values["side"] == "B")]
    assert len(mine) == interval["b_n"]
    # The text report is the CLI's too.
    assert cli("compare", run_dir, run_dir_ka10, check=False).stdout == comparison.report


def test_compare_takes_the_cli_tolerances(run_dir, run_dir_ka10):
    arguments = ["--tolerance-count", "off", "--tolerance", "wg.keepalive*:w1=off", "--tolerance-w1", "20s",
                 "--anchor", "wg.initiation", "--span", "10m", "--format", "json"]
    result = cli("compare", run_dir, run_dir_ka10, *arguments, check=False)
    comparison = tether.pcap.compare(run_dir, run_dir_ka10, tolerance_count="off",
                                     tolerance={"wg.keepalive*:w1": "off"}, tolerance_w1=pd.Timedelta("20s"),
                                     anchor="wg.initiation", span=pd.Timedelta("10m"))
    assert comparison.json == json.loads(result.stdout)
    assert comparison.exit_code == result.returncode
    with pytest.raises(ValueError, match="w1"):
        tether.pcap.compare(run_dir, run_dir, tolerance="w1=fast")
    with pytest.raises(ValueError, match="span"):
        tether.pcap.compare(run_dir, run_dir, span="-5s")
    with pytest.raises(FileNotFoundError):
        tether.pcap.compare(run_dir, os.path.join(run_dir, "nothing.pcap"))


def test_compare_a_capture_with_its_run(run_dir):
    lan = os.path.join(run_dir, "pcap", "lan-0.pcap")
    keylog = os.path.join(run_dir, "pcap", "carinho-wg-keys.log")
    comparison = tether.pcap.compare(lan, run_dir, keylog=keylog)
    assert comparison.ok
    assert comparison.a["input"] == lan and comparison.b["input"] == run_dir
