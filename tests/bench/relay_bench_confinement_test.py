#!/usr/bin/python3
"""bench/relay_throughput keeps every packet on the machine (issue 14, hole
11): each daemon and client it starts for the greeting figures runs in the
network namespace the script made, with a resolv.conf the script wrote in
its work directory, never with the machine's own /etc/resolv.conf (whose
nameserver is outside: the PTR lookups of a tetherd using it left the
machine).

The script's own greeting() runs against a Lab whose processes are only
recorded, not started: no root, no namespace, no OpenSMTPD needed.

  relay_bench_confinement_test.py [SCRIPT]   (default: bench/relay_throughput)
"""

import importlib.machinery
import importlib.util
import os
import shutil
import sys
import tempfile
import types

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_bench(path):
    loader = importlib.machinery.SourceFileLoader("relay_throughput", path)
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("relay_throughput", loader))
    loader.exec_module(module)
    return module


class FakeProc:
    pid = 0

    def poll(self):
        return None


def recording_lab(bench, work):
    """bench.Lab with spawning recorded: (name, argv, in namespace)."""
    class RecordingLab(bench.Lab):
        def __init__(self):
            self.args = types.SimpleNamespace(greetings=2, greeting_port=25251, tetherd="tetherd",
                                              tetherctl="tetherctl", keep_logs=False)
            self.ns = "tether-bench-confinement"
            self.work = work
            self.procs, self.logs, self.ns_created = {}, {}, False
            self.spawned = []

        def in_ns(self, argv):
            return ["ip", "netns", "exec", self.ns] + argv

        def spawn(self, name, argv, log_name=None):
            self.spawned.append((name, argv))
            self.procs[name] = FakeProc()
            return self.procs[name]

        def wait_port(self, port, proc, limit=60):
            return True

        def stop(self, name, timeout=10):
            self.procs.pop(name, None)

    return RecordingLab()


def resolver_of(argv):
    """The resolv.conf private_mounts() binds over /etc/resolv.conf, if any."""
    if "unshare" not in argv:
        return None
    i = argv.index("unshare")
    # unshare -m --propagation private sh -c SCRIPT sh RESOLV_CONF ...
    return argv[i + 8] if len(argv) > i + 8 else None


def main():
    script = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "bench/relay_throughput")
    bench = load_bench(script)
    work = tempfile.mkdtemp(prefix="tether-bench-confinement-")
    try:
        bench.make_maildir = lambda path: [os.makedirs(os.path.join(path, s), exist_ok=True)
                                           for s in ("new", "cur", "tmp")]
        # A daemon started outside the namespace is waited for this way (the
        # script before issue 14): let it "start", so the check below names it.
        bench.wait_local_port = lambda *a, **kw: True
        clients = []
        bench.greeting_latencies = lambda lab, port, *rest, **kw: clients.append((port, kw)) or []
        lab = recording_lab(bench, work)
        local = os.path.join(work, "resolv-dnsmasq.conf")
        bench.write(local, "nameserver 127.0.0.1\n")
        bench.greeting(lab, bench.Tetherd(lab, local), bench.OpenSmtpd(lab, local))

        problems = []
        for name, argv in lab.spawned:
            if argv[:4] != ["ip", "netns", "exec", lab.ns]:
                problems.append("%s runs outside the bench's namespace: %s" % (name, " ".join(argv[:3])))
            resolver = resolver_of(argv)
            if resolver is not None and not os.path.realpath(resolver).startswith(os.path.realpath(work) + "/"):
                problems.append("%s resolves through %s, not a resolv.conf the bench wrote" % (name, resolver))
        for port, kw in clients:
            if kw.get("in_namespace", True) is False:
                problems.append("the greeting clients for port %d run outside the namespace" % port)
        if not lab.spawned:
            problems.append("greeting() started nothing: the test no longer sees the bench's daemons")
        for p in problems:
            print("FAIL: " + p)
        print("%d processes checked, %d problems" % (len(lab.spawned), len(problems)))
        return 1 if problems else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
