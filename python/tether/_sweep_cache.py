"""The sweep's cache of finished runs: a directory of small JSON files.

A run's key is a hash of what decides its results: the point's scenario
digest (the scenario file's bytes, its overrides with the point's, and every
config file it names), the point's overrides, the seed and the tether build
(``tether.build_id()``), so that editing a file, changing a value or
rebuilding runs the point again. nsnam's sem keeps a campaign in one JSON
database with the ns-3 commit it belongs to and runs only the parameter
combinations missing from it; here each run has its own file instead, named
by its key, so that two sweeps (or a sweep and a notebook) sharing a
directory never rewrite one another's results: each file is written under a
temporary name in the same directory and renamed into place, which POSIX
makes atomic, and two writers of one key write the same content.

Only successful runs are stored. A failure may be transient (a worker killed
for memory, a full disk, an interrupted run), and a stored failure would
stay until someone deleted it by hand; a failing point costs its run again
on the next sweep, usually little, as most failures come early.
"""

import hashlib
import json
import os
import tempfile
from typing import Any, Dict, Optional

# Bumped when a file's layout changes: older files are then misses.
CACHE_FORMAT = 1


def run_key(point_digest: str, overrides: Dict[str, Any], seed: int, build_id: str) -> Dict[str, Any]:
    """What identifies a run, as stored in its file."""
    return {
        "format": CACHE_FORMAT,
        "scenario_digest": point_digest,
        "overrides": overrides,
        "seed": seed,
        "build_id": build_id,
    }


def key_hash(key: Dict[str, Any]) -> str:
    text = json.dumps(key, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class SweepCache:
    """Finished runs under ``directory``, one file per run:
    ``directory/ab/abcdef....json`` holding ``{"key": ..., "row": ...}``."""

    def __init__(self, directory: "os.PathLike[str] | str"):
        self.directory = os.fspath(directory)
        try:
            os.makedirs(self.directory, exist_ok=True)
        except OSError as error:
            raise OSError(f"cache {self.directory}: {error.strerror or error}") from error
        if not os.access(self.directory, os.W_OK | os.X_OK):
            raise PermissionError(f"cache {self.directory}: not writable")

    def path_of(self, key: Dict[str, Any]) -> str:
        digest = key_hash(key)
        # A level of subdirectories keeps each one small (git's objects/ does
        # the same) for sweeps of many thousands of runs.
        return os.path.join(self.directory, digest[:2], digest + ".json")

    def get(self, key: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """The stored row, or None. A file that cannot be read or does not
        hold this key (cut short, written by another version) is a miss:
        the run is done again and the file replaced."""
        try:
            with open(self.path_of(key), encoding="utf-8") as file:
                stored = json.load(file)
        except (OSError, ValueError):
            return None
        if not isinstance(stored, dict) or stored.get("key") != key or not isinstance(stored.get("row"), dict):
            return None
        return stored["row"]

    def put(self, key: Dict[str, Any], row: Dict[str, Any]) -> str:
        """Stores a run's row; returns the file's path."""
        path = self.path_of(key)
        directory = os.path.dirname(path)
        os.makedirs(directory, exist_ok=True)
        text = json.dumps({"key": key, "row": row}, indent=1, allow_nan=True)
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
                # mkstemp makes the file private; the cache may be shared.
                os.fchmod(file.fileno(), 0o644)
            # No fsync: after a power cut a file may be empty or cut short,
            # and get() takes such a file as a miss.
            os.replace(temporary, path)
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise
        return path
