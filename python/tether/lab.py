"""The namespace lab from Python: ``tether-lab`` and ``tether-compare``.

Both commands run as child processes (lab/runner/README.md,
lab/compare/README.md): the lab is real time, real ``tetherd`` processes in
Linux network namespaces, so root only. A run's results directory is read
into the same :class:`tether.Run` the simulation returns, with
``world == "lab"``.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile

import pandas as pd

__all__ = ["run", "compare", "LabComparison"]

# How much of a failed command's stderr a RunError quotes.
_STDERR_TAIL_LINES = 25


def _tether():
    # The package, imported when called: tether/__init__.py imports this module.
    import tether
    return tether


def _require_root(what, hint=""):
    if os.geteuid() != 0:
        raise PermissionError(
            f"{what} needs root: the lab builds network namespaces, veth links, nftables NAT and runs tetherd "
            f"on TUN devices (run Python as root, e.g. sudo){hint}")


def _scenario(scenario):
    tether = _tether()
    if isinstance(scenario, (str, os.PathLike)):
        return tether.Scenario.load(os.fspath(scenario))
    return scenario


def _scenario_arguments(scenario, seed):
    """SCENARIO.yaml and its overrides as --set, then --seed (the commands
    take them in order, a later one winning: scenarios/README.md)."""
    arguments = [scenario.path]
    for override in scenario.overrides:
        arguments += ["--set", override]
    if seed is not None:
        arguments += ["--seed", str(int(seed))]
    return arguments


def _seconds(value, what):
    if isinstance(value, (pd.Timedelta,)) or hasattr(value, "total_seconds"):
        return pd.Timedelta(value).total_seconds()
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{what} {value!r}: seconds, or a Timedelta") from None


def _run_child(command, name):
    """Runs a lab command to its end; (exit status, stdout, stderr). On
    KeyboardInterrupt the child gets SIGINT (tether-lab then removes its
    world, tether-compare passes it on) and is waited for, so no namespace
    is left behind."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             errors="replace", start_new_session=True)
    try:
        stdout, stderr = child.communicate()
    except BaseException:
        child.send_signal(signal.SIGINT)
        child.communicate()
        raise
    return child.returncode, stdout, stderr


def _failure(name, command, status, stderr):
    tail = "\n".join(stderr.rstrip().splitlines()[-_STDERR_TAIL_LINES:])
    how = f"exit status {status}" if status >= 0 else f"killed by signal {-status}"
    return _tether().RunError(f"{name} failed ({how}): {' '.join(command)}\n{tail}")


def run(scenario, seed=None, pcap=False, out=None, max_duration=None):
    """Runs ``scenario`` in the lab (``tether-lab``, real time) and returns its
    :class:`tether.Run`, ``world == "lab"``, read from its results directory
    as the simulation's is.

    ``scenario``: a ``tether.Scenario`` (its overrides are passed as --set) or
    a path. ``seed=None``: the scenario's own. ``pcap``: capture every link
    end into OUT/pcap/ (then ``Run.pcaps`` names them). ``out``: the results
    directory; None: a temporary one, removed once read unless ``pcap`` (then
    it is kept and ``Run.out`` names it), as ``tether.simulate`` does.
    ``max_duration``: refuse a scenario longer than this (seconds or a
    Timedelta; tether-lab's default 900 s).

    Raises PermissionError without root, ``tether.ScenarioError`` for an
    invalid scenario, ``tether.RunError`` (with tether-lab's stderr tail) when
    the lab refuses the scenario or the run fails.
    """
    _require_root("tether.lab.run")
    tether = _tether()
    scenario = _scenario(scenario)
    temporary = out is None
    out_dir = tempfile.mkdtemp(prefix="tether-lab-") if temporary else os.fspath(out)
    command = [tether.tool_path("tether-lab")] + _scenario_arguments(scenario, seed) + ["--out", out_dir]
    if pcap:
        command.append("--pcap")
    if max_duration is not None:
        command += ["--max-duration", repr(_seconds(max_duration, "max_duration"))]
    # A temporary directory is removed once read (the Run's .out is then
    # None, as tether.simulate's), kept for its captures, and removed when
    # the run failed.
    keep = not temporary or pcap
    read = False
    try:
        status, _, stderr = _run_child(command, "tether-lab")
        if status != 0:
            raise _failure("tether-lab", command, status, stderr)
        result = tether.Run.from_dir(out_dir, scenario, scenario.seed if seed is None else int(seed), "lab",
                                     keep_out=keep)
        read = True
        return result
    finally:
        if temporary and not (keep and read):
            shutil.rmtree(out_dir, ignore_errors=True)


class LabComparison:
    """``tether-compare``: the lab and the simulation side by side.

    - ``ok``: every checked figure within its bound (the command's exit 0;
      not ok is its 1); ``verdict``: "within every bound" or "N outside
      their bounds"; ``outside``: one line per figure outside, as printed;
    - ``figures``: the table (``figure``, ``lab``, ``sim`` as printed,
      ``bound``, ``verdict`` "ok"/"outside"/None when only shown, ``detail``);
    - ``uplink``: the two uplink captures' :class:`tether.pcap.Comparison`
      (None when there was none); ``uplink_links``, ``uplink_problems``;
    - ``hosts``: what the lab ran for each host and the simulation's
      overrides for it; ``latency_from``; ``seed``;
    - ``lab``, ``sim``: each world's :class:`tether.Run`, read when first asked
      for; ``out``: the directory (lab/, sim/, compare.json,
      uplink-compare.txt); ``report``: the printed table; ``json``: compare.json.
    """

    def __init__(self, out, scenario, report_json, report=""):
        from . import pcap as _pcap

        j = report_json
        self.out = out
        self.scenario = scenario
        self.json = j
        self.report = report
        self.seed = j["seed"]
        self.ok = bool(j["pass"])
        self.outside = list(j["outside"])
        self.verdict = "within every bound" if self.ok else f"{len(self.outside)} outside their bounds"
        self.hosts = j["hosts"]
        self.latency_from = j["latency_from"]
        rows = j["figures"]
        self.figures = pd.DataFrame(
            {
                "figure": pd.array([r["figure"] for r in rows], dtype=object),
                "lab": pd.array([r["lab"] for r in rows], dtype=object),
                "sim": pd.array([r["sim"] for r in rows], dtype=object),
                "bound": pd.array([r["bound"] for r in rows], dtype=object),
                "verdict": pd.array([r["verdict"] for r in rows], dtype=object),
                "detail": pd.array([r.get("detail") for r in rows], dtype=object),
            }
        )
        uplink = j["uplink"]
        self.uplink_links = list(uplink.get("links", []))
        self.uplink_problems = list(uplink.get("problems", []))
        self.uplink = None
        if uplink.get("comparison") is not None:
            text_path = os.path.join(out, "uplink-compare.txt")
            text = open(text_path, encoding="utf-8", errors="replace").read() if os.path.exists(text_path) else ""
            self.uplink = _pcap.Comparison(uplink["comparison"], text, self.uplink_problems)
        self._runs = {}

    @property
    def exit_code(self):
        """tether-compare's exit status for this comparison: 0 or 1."""
        return 0 if self.ok else 1

    def _run(self, world):
        if world not in self._runs:
            self._runs[world] = _tether().Run.from_dir(os.path.join(self.out, world), self.scenario, self.seed, world)
        return self._runs[world]

    @property
    def lab(self):
        return self._run("lab")

    @property
    def sim(self):
        return self._run("sim")

    def __str__(self):
        return self.report

    def __repr__(self):
        return f"<tether.lab.LabComparison {self.verdict}: {len(self.figures)} figures, {self.out}>"


def compare(scenario, seed=None, out=None, tolerance=None, link=None, reuse_runs=False, keep_going=False):
    """Runs ``scenario`` in the lab and in the simulation (``tether-compare``)
    and returns their figures side by side, a :class:`LabComparison`.

    ``tolerance``: a rule ``NAME=BOUND[,BOUND]`` (or a tether-pcap compare
    rule for the uplink), a list of them, or a dict ``{"latency": "5%,100ms"}``
    (lab/compare/README.md). ``link``: the captures compared (globs on
    LINK-N; default uplink-0). ``out``: where both runs go; None: a new
    temporary directory, kept (the runs' captures are there for
    ``tether.pcap``) and named by ``.out``. ``reuse_runs``: compare what
    OUT/lab and OUT/sim already hold, without running either world (needs
    ``out``; no root).

    Raises PermissionError without root (unless ``reuse_runs``),
    ``tether.ScenarioError`` for an invalid scenario, ``tether.RunError`` with
    tether-compare's stderr tail for what it calls bad input or a failed run
    (its exit 2). A comparison outside its bounds is returned, ``ok`` False.
    """
    if reuse_runs:
        if out is None:
            raise ValueError("tether.lab.compare: reuse_runs needs out, the directory holding lab/ and sim/")
    else:
        _require_root("tether.lab.compare", " (reuse_runs=True compares existing runs without root)")
    tether = _tether()
    scenario = _scenario(scenario)
    out_dir = tempfile.mkdtemp(prefix="tether-compare-") if out is None else os.fspath(out)
    command = [tether.tool_path("tether-compare")] + _scenario_arguments(scenario, seed) + ["--out", out_dir]
    if isinstance(tolerance, str):
        tolerance = [tolerance]
    elif isinstance(tolerance, dict):
        tolerance = [f"{name}={bound}" for name, bound in tolerance.items()]
    for rule in tolerance or []:
        command += ["--tolerance", str(rule)]
    for glob in [link] if isinstance(link, str) else (link or []):
        command += ["--link", str(glob)]
    if reuse_runs:
        command.append("--reuse-runs")
    if keep_going:
        command.append("--keep-going")
    status, stdout, stderr = _run_child(command, "tether-compare")
    report_path = os.path.join(out_dir, "compare.json")
    if status not in (0, 1) or not os.path.exists(report_path):
        raise _failure("tether-compare", command, status, stderr)
    with open(report_path, encoding="utf-8") as f:
        report = json.load(f)
    return LabComparison(out_dir, scenario, report, stdout)
