"""Scenario files, read and checked by the same C++ parser tether-sim uses.

A Scenario is a path plus the overrides applied to it, in order; it is
checked whenever one is made, so an invalid file or override raises at once,
with the parser's own messages. It holds nothing else, so it pickles cheaply
to worker processes and Dask workers, which re-read the file.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from typing import Iterable, Mapping

import pandas as pd

from . import _tether


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where, which field, what."""

    file: str  # the scenario file, or "--set key=value" for an override
    line: int  # 0 when there is no line (an override, a missing file)
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ScenarioError(ValueError):
    """An invalid scenario file or override; `problems` has every one."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        first = problems[0] if problems else Problem("", 0, "", "invalid scenario")
        self.file, self.line, self.field = first.file, first.line, first.field
        super().__init__("\n".join(str(p) for p in problems))


# "FILE:LINE: field: message" or "--set key=value: field: message"
# (scenario/scenario_parser.h); a field is a dotted path with list indexes.
_AT_LINE = re.compile(r"^(?P<file>.*?):(?P<line>\d+): (?:(?P<field>[\w.\-\[\]]+): )?(?P<message>.*)$")
_FROM_SET = re.compile(r"^(?P<file>--set [^=]+=.*?): (?:(?P<field>[\w.\-\[\]]+): )?(?P<message>.*)$")


def _problem(line: str) -> Problem:
    if m := _FROM_SET.match(line):
        # Some messages say the path in their words ("hosts.nobody does not
        # exist in the file"): the field is then the override's key.
        key = m.group("file")[len("--set "):].split("=", 1)[0]
        return Problem(m.group("file"), 0, m.group("field") or key, m.group("message"))
    if m := _AT_LINE.match(line):
        return Problem(m.group("file"), int(m.group("line")), m.group("field") or "", m.group("message"))
    return Problem("", 0, "", line)


def _yaml_text(value) -> str:
    """An override's value as the YAML text `--set key=value` takes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml_text(v) for v in value) + "]"
    if isinstance(value, pd.Timedelta):
        return f"{value.value}ns"
    return str(value)


class Scenario:
    """A scenario file with overrides; see tether.Scenario.load."""

    def __init__(self, path: str | os.PathLike, overrides: Iterable[str] = ()):
        self.path = os.fspath(path)
        self.overrides = tuple(overrides)
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"{self.path}: no such scenario file")
        read = _tether.load_scenario(self.path, list(self.overrides))
        if read["errors"]:
            raise ScenarioError([_problem(line) for line in read["errors"]])
        info = read["info"]
        self.name: str = info["name"]
        self.seed: int = info["seed"]
        self.duration = pd.Timedelta(info["duration_ns"], unit="ns")
        self.epoch = pd.Timestamp(info["epoch_unix_ns"], unit="ns", tz="UTC")
        self.hosts: list[str] = list(info["hosts"])
        self.config_files: list[str] = list(info["config_files"])
        self.outputs_dir: str = info["outputs_dir"]

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Scenario":
        """Reads and checks a scenario file (scenarios/README.md's schema)."""
        return cls(path)

    def with_overrides(self, overrides: Mapping[str, object]) -> "Scenario":
        """A new Scenario with `{key: value}` applied after this one's
        overrides, as `--set key=value` would be; errors name the key."""
        added = [f"{key}={_yaml_text(value)}" for key, value in overrides.items()]
        return Scenario(self.path, self.overrides + tuple(added))

    def with_sets(self, texts: Iterable[str]) -> "Scenario":
        """A new Scenario with "KEY=VALUE" texts applied after this one's
        overrides, exactly as `--set KEY=VALUE ...` takes them: checked
        together, so values only valid together (an event after a longer
        duration) pass."""
        return Scenario(self.path, self.overrides + tuple(texts))

    @property
    def digest(self) -> str:
        """A cache key: sha256 over the file, the overrides and every
        config file the scenario names."""
        h = hashlib.sha256()
        for name in [self.path, *self.config_files]:
            with open(name, "rb") as f:
                content = f.read()
            h.update(f"{os.path.basename(name)}\0{len(content)}\0".encode())
            h.update(content)
        for override in self.overrides:
            h.update(b"--set\0" + override.encode() + b"\0")
        return h.hexdigest()

    def __reduce__(self):
        return (Scenario, (self.path, self.overrides))

    def __repr__(self) -> str:
        sets = "".join(f" --set {o}" for o in self.overrides)
        return f"<tether.Scenario {self.path}{sets}>"

    def __eq__(self, other) -> bool:
        return isinstance(other, Scenario) and (self.path, self.overrides) == (other.path, other.overrides)

    def __hash__(self) -> int:
        return hash((self.path, self.overrides))
