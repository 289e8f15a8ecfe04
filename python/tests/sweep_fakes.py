"""Stand-ins for a scenario and a run, for the sweep's tests of what the
simulation cannot do on demand: count its runs from every process, fail at
run time, kill its worker. Workers import this module by name (the tests'
directory is on sys.path in pytest, and on a hand-started Dask worker's
PYTHONPATH).

A fake scenario file is JSON: {"name", "keys": [the keys it takes],
"marker_dir": where each run leaves a file}. Overrides behave as
Scenario.with_overrides's: an unknown key is a ScenarioError naming it, a
str value is YAML text.
"""

import hashlib
import json
import os
import signal
import uuid

import yaml

import tether


class FakeScenario:
    def __init__(self, path, spec, overrides=()):
        self.path = path
        self._spec = spec
        self.overrides = tuple(overrides)
        self.name = spec["name"]

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as file:
            return cls(path, json.load(file))

    def with_overrides(self, overrides):
        added = []
        for key, value in overrides.items():
            if key not in self._spec["keys"]:
                raise tether.ScenarioError([tether.Problem(self.path, 0, key, "unknown key")])
            text = value if isinstance(value, str) else json.dumps(value)
            added.append(f"{key}={text}")
        return FakeScenario(self.path, self._spec, self.overrides + tuple(added))

    def with_sets(self, texts):
        return FakeScenario(self.path, self._spec, self.overrides + tuple(texts))

    def value(self, key, default=None):
        for text in reversed(self.overrides):
            name, _, value = text.partition("=")
            if name == key:
                return yaml.safe_load(value)
        return default

    @property
    def digest(self):
        with open(self.path, "rb") as file:
            content = file.read()
        return hashlib.sha256(content + "\n".join(self.overrides).encode()).hexdigest()


def write_scenario(directory, keys=("a", "b", "fail", "crash"), marker_dir=None):
    path = os.path.join(directory, "fake.json")
    with open(path, "w", encoding="utf-8") as file:
        json.dump({"name": "fake", "keys": list(keys), "marker_dir": marker_dir}, file)
    return path


def fake_run(scenario, seed):
    """A summary that depends on the point and the seed only; raises where
    the point says ``fail``, kills its process where it says ``crash``."""
    marker_dir = scenario._spec.get("marker_dir")
    if marker_dir:
        with open(os.path.join(marker_dir, uuid.uuid4().hex), "w", encoding="utf-8") as file:
            file.write(json.dumps({"overrides": scenario.overrides, "seed": seed, "pid": os.getpid()}))
    if scenario.value("fail"):
        raise tether.RunError(f"the run failed at seed {seed}")
    if scenario.value("crash") and seed == 1:
        os.kill(os.getpid(), signal.SIGSEGV)
    text = "|".join(scenario.overrides) + f"#{seed}"
    number = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
    return {"scenario": scenario.name, "seed": seed, "messages.delivered": number % 100,
            "latency_s.p99": number / 2**32, "a": scenario.value("a")}


def runs_made(marker_dir):
    """The runs fake_run has made, from every process."""
    runs = []
    for name in os.listdir(marker_dir):
        with open(os.path.join(marker_dir, name), encoding="utf-8") as file:
            runs.append(json.load(file))
    return runs


def fake_build_id():
    return "fake-build-1"


def other_build_id():
    return "fake-build-2"


def pid_build_id():
    """A build that differs in every process: a worker never matches the sweep."""
    return f"pid-{os.getpid()}"
