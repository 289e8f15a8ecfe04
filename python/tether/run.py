"""A run's results as Python objects: results.json as a dict, messages.csv
and events.csv as typed DataFrames (times as timestamps at the scenario's
epoch, latencies as timedeltas), and its captures. The same for a run of
the ns-3 world (tether.simulate) and of the lab (tether.lab.run): both write
the files scenario/results_writer.h describes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from .scenario import Scenario
from .summary import flatten_summary

_MESSAGE_TIMES = ("submitted", "first_attempt", "delivered")


def _at_epoch(seconds: pd.Series, epoch: pd.Timestamp) -> pd.Series:
    # Seconds are printed with three decimals: round to the microsecond so
    # that float noise never shows as stray nanoseconds.
    return epoch + pd.to_timedelta(seconds.round(6), unit="s")


def read_messages(path: str | os.PathLike, epoch: pd.Timestamp) -> pd.DataFrame:
    """messages.csv with its `_s` columns as timestamps and a timedelta."""
    raw = pd.read_csv(path, dtype={"message_id": str, "status": str, "path": str}, keep_default_na=False,
                      na_values={c: [""] for c in ("submitted_s", "first_attempt_s", "delivered_s", "latency_s")})
    frame = pd.DataFrame({"index": raw["index"].astype("int64"), "message_id": raw["message_id"]})
    for column in _MESSAGE_TIMES:
        frame[column] = _at_epoch(raw[f"{column}_s"].astype("float64"), epoch)
    frame["latency"] = pd.to_timedelta(raw["latency_s"].astype("float64").round(6), unit="s")
    frame["status"] = raw["status"].astype("category")
    frame["via_backup"] = raw["via_backup"].astype(int).astype(bool)
    frame["copies"] = raw["copies"].astype("int64")
    frame["path"] = raw["path"]
    return frame


def read_events(path: str | os.PathLike, epoch: pd.Timestamp) -> pd.DataFrame:
    """events.csv with its time as a timestamp."""
    raw = pd.read_csv(path, dtype={"source": str, "kind": str, "detail": str}, keep_default_na=False)
    return pd.DataFrame({
        "time": _at_epoch(raw["time_s"].astype("float64"), epoch),
        "source": raw["source"],
        "kind": raw["kind"].astype("category"),
        "detail": raw["detail"],
    })


def find_pcaps(out: str | os.PathLike) -> dict[str, str]:
    """OUT/pcap/*.pcap by link-end name (the file's stem)."""
    directory = Path(out) / "pcap"
    if not directory.is_dir():
        return {}
    return {p.stem: str(p) for p in sorted(directory.glob("*.pcap"))}


class Run:
    """One run's results; see tether.simulate."""

    def __init__(self, *, world: str, scenario: Scenario, seed: int, out: str | None, summary: dict,
                 messages: pd.DataFrame, events: pd.DataFrame, pcaps: dict[str, str]):
        self.world = world
        self.scenario = scenario
        self.seed = seed
        self.out = out
        self.summary = summary
        self.messages = messages
        self.events = events
        self.pcaps = pcaps

    @classmethod
    def from_dir(cls, out: str | os.PathLike, scenario: Scenario, seed: int, world: str,
                 keep_out: bool = True) -> "Run":
        """Reads a results directory (results.json, messages.csv, events.csv,
        pcap/); `keep_out=False` leaves `.out` None (a directory about to go)."""
        out = Path(out)
        with open(out / "results.json", encoding="utf-8") as f:
            summary = json.load(f)
        epoch = pd.Timestamp(summary["epoch"]) if "epoch" in summary else scenario.epoch
        return cls(world=world, scenario=scenario, seed=seed, out=str(out) if keep_out else None, summary=summary,
                   messages=read_messages(out / "messages.csv", epoch), events=read_events(out / "events.csv", epoch),
                   pcaps=find_pcaps(out) if keep_out else {})

    def row(self) -> dict:
        """The summary as one flat dict (tether.flatten_summary)."""
        return flatten_summary(self.summary)

    def __repr__(self) -> str:
        m = self.summary.get("messages", {})
        return (f"<tether.Run {self.world} {self.scenario.name} seed {self.seed}: "
                f"{m.get('delivered', '?')}/{m.get('submitted', '?')} delivered>")
