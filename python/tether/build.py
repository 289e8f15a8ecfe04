"""Which tether build this is, and where its commands are."""

from __future__ import annotations

import functools
import hashlib
import os

from . import _paths, _tether


@functools.lru_cache(maxsize=1)
def build_id() -> str:
    """A hash of the extension module's bytes: it links every library a
    simulation runs, so any change to them changes it (sweep caches key on
    it, so a rebuild re-runs their points)."""
    h = hashlib.sha256()
    with open(_tether.__file__, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def tool_path(name: str) -> str:
    """A command of this build (tether-sim, tether-lab, tether-pcap,
    tether-compare, tetherd, tetherctl, tether-sweep)."""
    path = os.path.join(_paths.BIN_DIR, name)
    if not os.access(path, os.X_OK):
        raise FileNotFoundError(f"{path}: not built (cmake --build build --target {name})")
    return path
