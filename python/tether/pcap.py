"""Captures as DataFrames: ``tether-pcap timeline`` and ``tether-pcap compare``.

The reading is the capture library's own (pcap/, through ``tether._tether.pcap``):
pcap and pcapng files, tcpdump text traces, and the result directories of
``tether-sim --pcap`` and ``tether-lab --pcap`` (docs/pcap.md). What a
readable input holds that cannot be read (a record cut by the end of the
file, garbage on a WireGuard port, a bad key-log line) is kept as the library
keeps it: a :class:`CaptureWarning` per problem and the whole list in
``frame.attrs["problems"]`` or ``Comparison.problems``. An input that cannot
be read at all raises :class:`CaptureError` (or FileNotFoundError), naming
the file.
"""

import datetime
import json
import os
import re
import warnings

import numpy as np
import pandas as pd

from . import _tether

__all__ = ["timeline", "compare", "Comparison", "CaptureError", "CaptureWarning"]

# At most this many problems become warnings of their own; the rest are
# counted in one more (every problem is in the frame's attrs).
_WARNED_PROBLEMS = 10

_CATEGORY_COLUMNS = ("kind", "link", "layer", "protocol", "smtp_verb", "tcp_flags")
_TEXT_COLUMNS = ("source", "destination", "detail")
_INT_COLUMNS = ("capture", "packet")
_MASKED_COLUMNS = ("wg_type", "wg_sender", "wg_receiver", "wg_counter", "wg_keepalive", "wg_session", "smtp_code")


class CaptureError(ValueError):
    """An input that cannot be read at all (not a capture, a cut header, a
    result directory without captures). ``file`` is the file the library
    named, ``packet`` the packet number when there is one (else None)."""

    def __init__(self, message, file=None, packet=None):
        super().__init__(message)
        self.file = file
        self.packet = packet


class CaptureWarning(UserWarning):
    """A problem inside a readable input; the reading went on past it."""


# "FILE: packet N: why", "A: FILE: why", "FILE:LINE: why" (a key log's line).
_ERROR_PLACE = re.compile(r"^(?:[AB]: )?(?P<file>.+?): (?:packet (?P<packet>\d+): )?")


def _raise_failure(result, names):
    """Raises the Python exception for the binding's {'ok': False, ...}."""
    message = result["message"]
    if not result["input"]:
        raise ValueError(message)
    place = _ERROR_PLACE.match(message)
    file = place.group("file") if place else None
    packet = int(place.group("packet")) if place and place.group("packet") else None
    if result["code"] == "not_found":
        raise FileNotFoundError(message)
    raise CaptureError(message, file=file, packet=packet)


def _path_list(value, what):
    """A path, a Run (its result directory), or an iterable of either."""
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [os.fspath(value)]
    if hasattr(value, "out") and not isinstance(value, (list, tuple)):
        if not value.out:
            raise ValueError(f"{what}: the run kept no result directory (run it with pcap=True)")
        return [os.fspath(value.out)]
    out = []
    for item in value:
        out.extend(_path_list(item, what))
    return out


def _require_existing(paths, what):
    for path in paths:
        if path != "-" and not os.path.exists(path):
            raise FileNotFoundError(f"{path}: no such file or directory ({what})")


def _ports(wg_port):
    if wg_port is None:
        return []
    ports = [wg_port] if isinstance(wg_port, (int, np.integer)) else list(wg_port)
    for port in ports:
        if not 1 <= int(port) <= 65535:
            raise ValueError(f"wg_port {port}: not a port (1-65535)")
    return [int(p) for p in ports]


def _links(link):
    if link is None:
        return []
    return [link] if isinstance(link, str) else [str(l) for l in link]


def _date_text(date):
    if date is None:
        return ""
    if isinstance(date, (datetime.date, pd.Timestamp)):
        return date.strftime("%Y-%m-%d")
    return str(date)


def _duration_text(value):
    """A duration as the library parses it: text as given ("90s", "20ms"),
    a Timedelta or timedelta in nanoseconds, a number in seconds."""
    if isinstance(value, str):
        return value
    if isinstance(value, (pd.Timedelta, datetime.timedelta, np.timedelta64)):
        return _ns_text(pd.Timedelta(value).value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _ns_text(int(round(float(value) * 1e9)))
    raise TypeError(f"{value!r}: not a duration (text such as '90s', a Timedelta, or seconds)")


def _ns_text(ns):
    """Nanoseconds in the largest unit that keeps them exact ("20s", "1500ms"):
    the reports quote a bound as given."""
    for unit, size in (("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)):
        if ns % size == 0:
            return f"{ns // size}{unit}"
    return f"{ns}ns"


def _tolerance_value(value):
    if isinstance(value, (pd.Timedelta, datetime.timedelta, np.timedelta64)):
        return _duration_text(value)
    if isinstance(value, bool):
        raise TypeError(f"{value!r}: a tolerance is a number, a duration, N% or 'off'")
    return str(value)


def _warn_problems(problems, stacklevel=3):
    for problem in problems[:_WARNED_PROBLEMS]:
        warnings.warn(problem, CaptureWarning, stacklevel=stacklevel)
    if len(problems) > _WARNED_PROBLEMS:
        warnings.warn(f"... and {len(problems) - _WARNED_PROBLEMS} more problems (every one is in the "
                      "result's problems)", CaptureWarning, stacklevel=stacklevel)


def _read_options(keylog, wg_port, heuristic, date, link):
    keylogs = _path_list(keylog, "keylog")
    _require_existing(keylogs, "keylog")
    return dict(keylogs=keylogs, wg_ports=_ports(wg_port), heuristic=bool(heuristic), date=_date_text(date),
                links=_links(link))


def _timeline_frame(columns):
    """The binding's columns as tether-pcap timeline's table, typed."""
    data = {"time": pd.to_datetime(np.asarray(columns["time_ns"]), unit="ns", utc=True)}
    for name in _timeline_column_names()[1:]:
        column = columns[name]
        if name in _TEXT_COLUMNS:
            data[name] = pd.array(column, dtype=object)
        elif name in _CATEGORY_COLUMNS:
            data[name] = pd.Categorical.from_codes(np.asarray(column["codes"]), categories=column["categories"])
        elif name in _INT_COLUMNS:
            data[name] = pd.array(np.asarray(column, dtype=np.int64), dtype="Int64")
        elif name == "wg_keepalive":
            data[name] = pd.arrays.BooleanArray(np.asarray(column["values"]), np.asarray(column["mask"]))
        else:
            # Counters are 64-bit unsigned on the wire (UInt64); the rest fit Int64.
            data[name] = pd.arrays.IntegerArray(np.asarray(column["values"]), np.asarray(column["mask"]))
    return pd.DataFrame(data)


def _timeline_column_names():
    return ["time"] + list(_tether.pcap.timeline_columns)[1:]


def timeline(path_or_paths, keylog=None, wg_port=None, heuristic=True, date=None, link=None):
    """The timeline of captures, text traces or result directories, as
    ``tether-pcap timeline`` prints it: one row per protocol event, in time
    order.

    Columns (docs/pcap.md): ``time`` (datetime64[ns, UTC]; the CLI's
    ``time_s``), ``source``, ``kind``, ``detail``, ``capture``, ``link``,
    ``packet``, ``destination``, ``layer``, ``protocol``, ``wg_type``,
    ``wg_sender``, ``wg_receiver`` (the indexes as numbers; the CLI prints
    them 0x%08x), ``wg_counter`` (UInt64: the wire's 64 bits), ``wg_keepalive``
    (boolean), ``wg_session``, ``smtp_verb``, ``smtp_code``, ``tcp_flags``.
    Numbers are nullable (Int64), kinds, links, layers, protocols, verbs and
    flags categories; a field that does not apply is missing (NA), where the
    CLI's JSON has null.

    ``path_or_paths``: a path, a ``tether.Run`` kept with its captures, or a
    list of them. ``keylog``: a Wireshark WireGuard key log (or several),
    merged with every result directory's own. ``wg_port``: ports whose every
    datagram is WireGuard; ``heuristic=False`` reads WireGuard only there.
    ``date``: the day of a text trace's times of day. ``link``: for a result
    directory, globs on LINK-N (default the home's ``lan-0``).

    ``frame.attrs["problems"]`` lists what could not be read inside the
    inputs (each also a CaptureWarning); ``frame.attrs["counts"]`` what was
    read (records, datagrams, segments, WireGuard messages decrypted, ...).
    The GIL is released while the files are read.
    """
    inputs = _path_list(path_or_paths, "timeline")
    if not inputs:
        raise ValueError("timeline: no input given")
    _require_existing(inputs, "timeline input")
    result = _tether.pcap.timeline(inputs, **_read_options(keylog, wg_port, heuristic, date, link))
    if not result["ok"]:
        _raise_failure(result, inputs)
    frame = _timeline_frame(result["columns"])
    problems = list(result["problems"])
    frame.attrs["problems"] = problems
    frame.attrs["counts"] = dict(result["counts"])
    _warn_problems(problems)
    return frame


class Comparison:
    """``tether-pcap compare A B``: the tables and the verdict.

    - ``ok``: every check within its bound (the CLI's exit status 0; not ok
      is its 1; what is its 2 raises instead); ``exit_code``: 0 or 1;
    - ``verdict``: "within every bound" or "N outside their bounds", and
      ``failures``: one line per check outside its bound, as the CLI prints;
    - ``counts``: events per kind (``kind``, ``a``, ``b``, ``bound``, ``ok``);
    - ``order``: the tunnel control messages' order (``a``, ``b``, ``equal``,
      ``first_difference`` from 0, ``a_row``/``b_row`` where they differ,
      ``check``, ``ok``);
    - ``intervals``: per kind, n, median, mean, min and max of each side's
      intervals (seconds), ``ks``, ``w1_s`` (Wasserstein-1, seconds), their
      bounds and ``ok``; ``interval_values``: every interval (``kind``,
      ``side`` "A"/"B", ``interval_s``), for plotting the distributions;
    - ``matched``: the i-th event of a kind in A against the i-th in B
      (``matched``, ``mean_s``, ``max_abs_s``, ``max_at``, ``bound``, ``ok``);
    - ``a``, ``b``: each side's input, events compared, left out, anchor;
    - ``report``: the CLI's text report; ``json``: its ``--format json``;
      ``problems``: what could not be read in A, then in B.
    """

    def __init__(self, report_json, report="", problems=()):
        j = report_json
        self.json = j
        self.report = report
        self.problems = list(problems)
        self.ok = bool(j["pass"])
        self.failures = list(j["failures"])
        self.verdict = "within every bound" if self.ok else f"{len(self.failures)} outside their bounds"
        self.a = self._side(j["a"])
        self.b = self._side(j["b"])
        self.counts = pd.DataFrame(
            {
                "kind": pd.array([c["kind"] for c in j["counts"]], dtype=object),
                "a": pd.array([c["a"] for c in j["counts"]], dtype="Int64"),
                "b": pd.array([c["b"] for c in j["counts"]], dtype="Int64"),
                "bound": pd.array([c["bound"] for c in j["counts"]], dtype=object),
                "ok": pd.array([c["pass"] for c in j["counts"]], dtype=bool),
            }
        )
        order = dict(j["control_order"])
        order["ok"] = order.pop("pass")
        self.order = order
        self.intervals = self._intervals(j["intervals"])
        self.interval_values = self._interval_values(j["intervals"])
        self.matched = pd.DataFrame(
            {
                "kind": pd.array([m["kind"] for m in j["matched"]], dtype=object),
                "matched": pd.array([m["matched"] for m in j["matched"]], dtype="Int64"),
                "mean_s": np.array([m["mean_s"] for m in j["matched"]], dtype=float),
                "max_abs_s": np.array([m["max_abs_s"] for m in j["matched"]], dtype=float),
                "max_at": pd.array([m["max_at"] for m in j["matched"]], dtype="Int64"),
                "bound": pd.array([m["bound"] for m in j["matched"]], dtype=object),
                "ok": pd.array([m["pass"] for m in j["matched"]], dtype=bool),
            }
        )

    @property
    def exit_code(self):
        """tether-pcap compare's exit status for this comparison: 0 or 1."""
        return 0 if self.ok else 1

    @staticmethod
    def _side(side):
        anchor_s = side["anchor"]
        seconds, _, fraction = anchor_s.partition(".")
        ns = int(seconds) * 1_000_000_000 + (int(fraction.ljust(9, "0")[:9]) if fraction else 0)
        return {"input": side["input"], "events": side["events"], "left_out": side["left_out"],
                "anchor": pd.Timestamp(ns, unit="ns", tz="UTC")}

    @staticmethod
    def _intervals(rows):
        data = {"kind": pd.array([r["kind"] for r in rows], dtype=object),
                "what": pd.array([r["what"] for r in rows], dtype=object)}
        for side in ("a", "b"):
            data[f"{side}_n"] = pd.array([r[side]["n"] for r in rows], dtype="Int64")
            for stat in ("median", "mean", "min", "max"):
                data[f"{side}_{stat}_s"] = np.array([r[side].get(stat, np.nan) for r in rows], dtype=float)
        data["ks"] = np.array([np.nan if r["ks"] is None else r["ks"] for r in rows], dtype=float)
        data["w1_s"] = np.array([np.nan if r["w1_s"] is None else r["w1_s"] for r in rows], dtype=float)
        data["ks_bound"] = pd.array([r["ks_bound"] for r in rows], dtype=object)
        data["w1_bound"] = pd.array([r["w1_bound"] for r in rows], dtype=object)
        data["ok"] = pd.array([r["pass"] for r in rows], dtype=bool)
        return pd.DataFrame(data)

    @staticmethod
    def _interval_values(rows):
        kinds, sides, values = [], [], []
        for r in rows:
            for side, key in (("A", "a_intervals_s"), ("B", "b_intervals_s")):
                kinds.extend([r["kind"]] * len(r[key]))
                sides.extend([side] * len(r[key]))
                values.extend(r[key])
        return pd.DataFrame({"kind": pd.Categorical(kinds), "side": pd.Categorical(sides, categories=["A", "B"]),
                             "interval_s": np.array(values, dtype=float)})

    def __str__(self):
        return self.report

    def __repr__(self):
        return (f"<tether.pcap.Comparison {self.verdict}: {len(self.counts)} kinds, "
                f"{self.a['events']} events in A, {self.b['events']} in B>")


def compare(a, b, keylog=None, wg_port=None, heuristic=True, date=None, link=None, tolerance=None,
            tolerance_count=None, tolerance_ks=None, tolerance_w1=None, tolerance_time=None, anchor=None,
            span=None):
    """``tether-pcap compare A B``: two timelines held against each other.

    ``a``, ``b``: what ``timeline`` reads (a capture, a text trace, a result
    directory, a kept ``tether.Run``); ``keylog``, ``wg_port``, ``heuristic``,
    ``date`` and ``link`` apply to both, as on the command line.

    Tolerances (docs/pcap.md): ``tolerance`` is a rule ``"[KINDS:]MEASURE=VALUE"``
    or a list of them (later wins), or a dict ``{"wg.keepalive*:ks": 0.5}``;
    ``tolerance_count``/``_ks``/``_w1``/``_time`` bound every kind and apply
    first. Values are the CLI's text ("10%", "20ms", "off"), numbers, or
    Timedeltas for durations. ``anchor``: a kind whose first event times each
    side; ``span``: only events less than this after the anchor ("90s", a
    Timedelta, seconds).

    Returns a :class:`Comparison` whether or not it is within the bounds (the
    CLI's exit 0 or 1). Raises ValueError for a tolerance, anchor or span that
    does not parse or matches nothing, CaptureError/FileNotFoundError for an
    input that cannot be read (the CLI's exit 2).
    """
    a_inputs, b_inputs = _path_list(a, "A"), _path_list(b, "B")
    for side, inputs in (("A", a_inputs), ("B", b_inputs)):
        if not inputs:
            raise ValueError(f"compare: no input given for {side}")
        _require_existing(inputs, side)
    every_kind = [(measure, _tolerance_value(value))
                  for measure, value in (("count", tolerance_count), ("ks", tolerance_ks), ("time", tolerance_time),
                                         ("w1", tolerance_w1))
                  if value is not None]
    if tolerance is None:
        rules = []
    elif isinstance(tolerance, str):
        rules = [tolerance]
    elif isinstance(tolerance, dict):
        rules = [f"{key}={_tolerance_value(value)}" for key, value in tolerance.items()]
    else:
        rules = [str(rule) for rule in tolerance]
    result = _tether.pcap.compare(
        a_inputs, b_inputs, **_read_options(keylog, wg_port, heuristic, date, link), every_kind=every_kind,
        rules=rules, anchor=anchor or "", span="" if span is None else _duration_text(span),
        a_name=" ".join(a_inputs), b_name=" ".join(b_inputs))
    if not result["ok"]:
        _raise_failure(result, a_inputs + b_inputs)
    problems = list(result["problems_a"]) + list(result["problems_b"])
    _warn_problems(problems)
    return Comparison(json.loads(result["json"]), result["report"], problems)
