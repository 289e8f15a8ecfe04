"""tether-sweep: tether.sweep from the shell.

    tether-sweep SCENARIO.yaml --grid KEY=V1,V2,... [--grid ...] --seeds N [--from-seed S]
                 [--scheduler ADDRESS] [--jobs J] [--cache DIR] [--out FILE.csv|FILE.h5] [--no-progress]

Exit status: 0 when every run succeeded; 1 when some failed (their rows, with
the error, are written all the same); 2 on bad usage, an invalid scenario or
grid, an output that cannot be written or a scheduler that cannot be
reached, all found before any run (as tether-sim does).
"""

import argparse
import contextlib
import json
import os
import sys
import warnings
from typing import Any, Dict, List, Optional, Sequence

import yaml

PROGRAM = "tether-sweep"
SYNOPSIS = ("tether-sweep SCENARIO.yaml --grid KEY=V1,V2,... [--grid ...] --seeds N [--from-seed S]\n"
            "                    [--scheduler ADDRESS] [--jobs J] [--cache DIR] [--out FILE.csv|FILE.h5]"
            " [--no-progress]")
DESCRIPTION = ("Runs a scenario at every point of a grid of overrides with N seeds each, on this machine's "
               "cores or a Dask\ncluster, and writes one row per run: the grid's keys, seed, the run's "
               "summary (results.json, flattened)\nand error. Finished runs are kept in --cache and not run "
               "again.")
# (flag, metavar, help) in the order --help lists them.
OPTIONS = [
    ("-h,--help", "", "Print this help message and exit"),
    ("--grid", "KEY=V1,V2,...", "a scenario key and its values, read as --set reads them (10, 60s, true,\n"
                                "[a, b]); repeatable: the points are the cross product"),
    ("--seeds", "N", "run each point with N seeds (required)"),
    ("--from-seed", "S", "the first seed: S..S+N-1 (default 0, as tether.sweep(seeds=range(N)))"),
    ("--scheduler", "ADDRESS", "run on this Dask scheduler (`dask scheduler`, `dask worker ADDRESS`)\n"
                               "rather than on local processes"),
    ("--jobs", "J", "local worker processes (default: one per core)"),
    ("--cache", "DIR", "keep finished runs here and run only what it lacks"),
    ("--out", "FILE", "write the rows to FILE.csv or FILE.h5 (pandas HDF5, key 'sweep')\n"
                      "(default: CSV on stdout)"),
    ("--no-progress", "", "no progress bar"),
]


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse with tether's words for its errors: they name the option
    (as CLI11 does for the C++ commands, cli/command_line.cc)."""

    def error(self, message: str):
        if message.startswith("the following arguments are required:"):
            message = message.split(":", 1)[1].strip().replace(", ", " and ") + " is required"
        elif message.startswith("unrecognized arguments:"):
            words = message.split(":", 1)[1].split()
            first = words[0] if words else ""
            message = f"unknown option '{first}'" if first.startswith("-") else f"unexpected argument '{first}'"
        elif message.startswith("argument ") and "expected one argument" in message:
            message = message[len("argument "):].split(":")[0] + " needs a value"
        elif message.startswith("argument "):
            message = message[len("argument "):]
        raise UsageError(message)


def help_text() -> str:
    lines = [f"usage: {SYNOPSIS}", "", DESCRIPTION, "", "Positionals:",
             f"  {'SCENARIO.yaml REQUIRED':<28}the scenario to sweep (schema: scenarios/README.md)", "",
             "Options:"]
    for flag, metavar, text in OPTIONS:
        left = f"{flag} {metavar}".strip()
        text = text.replace("\n", "\n" + " " * 30)
        lines.append(f"  {left:<28}{text}" if len(left) < 28 else f"  {left}\n  {'':<28}{text}")
    return "\n".join(lines) + "\n"


def _parser() -> _Parser:
    parser = _Parser(prog=PROGRAM, add_help=False, allow_abbrev=False)
    parser.add_argument("scenario", metavar="SCENARIO.yaml")
    parser.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...")
    parser.add_argument("--seeds", metavar="N")
    parser.add_argument("--from-seed", metavar="S", default="0")
    parser.add_argument("--scheduler", metavar="ADDRESS")
    parser.add_argument("--jobs", metavar="J")
    parser.add_argument("--cache", metavar="DIR")
    parser.add_argument("--out", metavar="FILE")
    parser.add_argument("--no-progress", action="store_true")
    return parser


def split_values(text: str) -> List[str]:
    """`a,[b, c],"d,e"` -> ['a', '[b, c]', '"d,e"']: commas inside brackets,
    braces or quotes belong to a value."""
    values, depth, quote, start = [], 0, None, 0
    for index, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            values.append(text[start:index])
            start = index + 1
    values.append(text[start:])
    return [value.strip() for value in values]


def parse_value(text: str) -> Any:
    """A value as YAML reads it (10 -> int, 60s -> str, true -> bool, [a, b]
    -> list); what tether.sweep does not take as it is (a date YAML reads as
    a timestamp, null, a mapping) is passed on as its text, which the
    scenario parser then reads as --set would."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    plain = (bool, int, float, str)
    if isinstance(value, plain) or (isinstance(value, list) and all(isinstance(v, plain) for v in value)):
        return value
    return text


def parse_grid(entries: Sequence[str]) -> Dict[str, List[Any]]:
    grid: Dict[str, List[Any]] = {}
    for entry in entries:
        key, equals, values = entry.partition("=")
        key = key.strip()
        if not equals or not key:
            raise UsageError(f"--grid {entry}: expected KEY=V1,V2,...")
        if key in grid:
            raise UsageError(f"--grid {key}: given twice (put all its values in one --grid)")
        texts = split_values(values)
        if any(not text for text in texts):
            raise UsageError(f"--grid {entry}: an empty value")
        grid[key] = [parse_value(text) for text in texts]
    return grid


def _count(option: str, text: Optional[str], minimum: int) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        value = None
    if value is None or value < minimum:
        raise UsageError(f"{option}: '{text}' is not an integer of at least {minimum}")
    return value


def _check_out(path: Optional[str]) -> Optional[str]:
    if path is None:
        return None
    extension = os.path.splitext(path)[1].lower()
    if extension not in (".csv", ".h5", ".hdf5"):
        raise UsageError(f"--out {path}: writes .csv or .h5 (pandas HDF5), not '{extension or path}'"
                         " (no parquet: Debian 12 has neither pyarrow nor fastparquet)")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UsageError(f"--out {path}: no directory {directory}")
    if not os.access(directory, os.W_OK):
        raise UsageError(f"--out {path}: {directory} is not writable")
    return path


def write_rows(frame, path: Optional[str]) -> None:
    if path is None:
        frame.to_csv(sys.stdout, index=False)
    elif path.lower().endswith(".csv"):
        frame.to_csv(path, index=False)
    else:
        _write_hdf(frame, path)


def _write_hdf(frame, path: str) -> None:
    """HDF5 through PyTables' table format (readable by pandas.read_hdf and
    by HDF5 tools): a column of mixed Python values (the error, a grid of
    values of several types) is written as text, JSON for lists."""
    table = frame.copy()
    for column in table.columns:
        if table[column].dtype == object:
            table[column] = table[column].map(
                lambda v: "" if v is None else v if isinstance(v, str) else json.dumps(v))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTables warns about column names with dots
        table.to_hdf(path, key="sweep", mode="w", format="table")


def _connect(address: str):
    try:
        from distributed import Client
    except ImportError as error:
        raise UsageError(f"--scheduler needs Dask's python3-distributed ({error})") from error
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as error:
        raise UsageError(f"--scheduler {address}: cannot connect ({error})") from error


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "-h" in argv or "--help" in argv:
        sys.stdout.write(help_text())
        return 0
    try:
        arguments = _parser().parse_args(argv)
        if arguments.seeds is None:
            raise UsageError("--seeds is required")
        count = _count("--seeds", arguments.seeds, 1)
        first = _count("--from-seed", arguments.from_seed, 0)
        jobs = _count("--jobs", arguments.jobs, 1) if arguments.jobs is not None else None
        if jobs is not None and arguments.scheduler:
            raise UsageError("--jobs is for local runs; the scheduler's workers are its own")
        grid = parse_grid(arguments.grid)
        out = _check_out(arguments.out)
    except UsageError as error:
        sys.stderr.write(f"{PROGRAM}: {error}\n{help_text()}")
        return 2
    return _run(arguments, grid, range(first, first + count), jobs, out)


def _run(arguments, grid, seeds, jobs, out) -> int:
    from . import Scenario, ScenarioError
    from .sweep import sweep

    try:
        scenario = Scenario.load(arguments.scenario)
    except FileNotFoundError:
        sys.stderr.write(f"{PROGRAM}: {arguments.scenario}: no such file\n")
        return 2
    except ScenarioError as error:
        sys.stderr.write(f"{PROGRAM}: invalid scenario\n{error}\n")
        return 2
    from ._sweep_cache import SweepCache

    try:
        cache = SweepCache(arguments.cache) if arguments.cache else None
    except OSError as error:
        sys.stderr.write(f"{PROGRAM}: --{error}\n")
        return 2
    client = None
    try:
        if arguments.scheduler:
            client = _connect(arguments.scheduler)
        # Dask's bar writes to stdout, which may be the CSV's.
        with contextlib.redirect_stdout(sys.stderr):
            frame = sweep(scenario, grid, seeds, client=client, cache=cache,
                          progress=not arguments.no_progress, jobs=jobs)
    except UsageError as error:
        sys.stderr.write(f"{PROGRAM}: {error}\n")
        return 2
    except ScenarioError as error:
        sys.stderr.write(f"{PROGRAM}: invalid grid\n{error}\n")
        return 2
    finally:
        if client is not None:
            client.close()
    write_rows(frame, out)
    failed = int(frame["error"].notna().sum())
    stats = frame.attrs.get("sweep", {})
    sys.stderr.write(f"{PROGRAM}: {len(frame)} runs ({stats.get('runs', '?')} run, {stats.get('cached', '?')} "
                     f"from the cache), {failed} failed{'' if out is None else ', rows in ' + out}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
