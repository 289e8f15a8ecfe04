"""The notebooks of notebooks/ executed end to end (issue 13, "Notebooks").

Each notebook runs in a fresh Jupyter kernel through nbclient, as
`jupyter-execute` would, with this build's `tether` on the kernel's
PYTHONPATH. A notebook asserts its own conclusions in its cells, so a
conclusion that no longer holds fails here as a cell error, with the
notebook's message. Executed copies go to $TETHER_NOTEBOOK_OUT when it is
set (to look at the figures), else to the test's temporary directory; the
sources in notebooks/ stay without outputs.
"""

import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="needs python3-nbformat")
nbclient = pytest.importorskip("nbclient", reason="needs python3-nbclient")
pytest.importorskip("ipykernel", reason="needs python3-ipykernel (the notebooks' kernel)")
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402  (comes with nbclient)

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = ["keepalive-tuning", "backoff-tuning", "pcap-validation", "seed-traces"]
# Per cell, not per notebook: the sweeps take about a minute on a loaded
# 2-core machine; pcap-validation's lab cell runs a 2-minute scenario in
# real time, after building the namespaces.
CELL_TIMEOUT_S = 900
# The parts of the module a notebook calls beyond Scenario and simulate,
# which land separately (issue 13): without one the notebook cannot run.
NEEDS = {"keepalive-tuning": ["sweep"], "backoff-tuning": ["sweep"], "pcap-validation": ["pcap", "lab"],
         "seed-traces": ["pcap"]}


def _tether_python_dir() -> str:
    """The folder holding the `tether` package this test imports: the
    build's python/ (PYTHONPATH or scripts/setup's .pth)."""
    tether = pytest.importorskip("tether", reason="needs the built tether module (PYTHONPATH=build/python)")
    return str(Path(tether.__file__).resolve().parents[1])


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """(kernel name, environment) for the notebooks' kernel. Debian's
    python3-ipykernel installs the `python3` spec (/usr/bin/python3); when it
    is not there (a virtualenv, another interpreter), ipykernel writes one
    for this interpreter into a temporary JUPYTER_PATH."""
    env = dict(os.environ)
    python_dir = _tether_python_dir()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (python_dir, env.get("PYTHONPATH")) if p)
    # ipykernel's debugger warns on stderr about frozen modules at every start.
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    if "python3" in KernelSpecManager().find_kernel_specs():
        return "python3", env
    from ipykernel.kernelspec import write_kernel_spec

    jupyter_path = tmp_path_factory.mktemp("jupyter")
    write_kernel_spec(str(jupyter_path / "kernels" / "tether-python3"))
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(jupyter_path), env.get("JUPYTER_PATH")) if p)
    os.environ["JUPYTER_PATH"] = env["JUPYTER_PATH"]  # the client looks the spec up in this process
    return "tether-python3", env


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    out = os.environ.get("TETHER_NOTEBOOK_OUT")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        return Path(out)
    return tmp_path_factory.mktemp("notebooks")


def _outputs(nb, output_type=None):
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output_type is None or output.output_type == output_type:
                yield cell, output


@pytest.mark.parametrize("name", NAMES)
def test_the_notebook_is_saved_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    with_outputs = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not with_outputs, f"{name}.ipynb: cells {with_outputs} were saved with outputs; clear them (the tests run it)"
    assert nb.cells[0].cell_type == "markdown", f"{name}.ipynb should open with the question it asks"


@pytest.mark.parametrize("name", NAMES)
def test_the_notebook_runs_end_to_end_and_draws_its_figures(name, kernel, out_dir):
    kernel_name, env = kernel
    import tether

    missing = [part for part in NEEDS[name] if not hasattr(tether, part)]
    if missing:
        pytest.skip(f"{name}.ipynb needs tether.{', tether.'.join(missing)}, which this build lacks")
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name=kernel_name,
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    executed = out_dir / f"{name}.ipynb"
    failure = None
    try:
        client.execute(env=env)
    except nbclient.exceptions.CellExecutionError as e:
        failure = str(e)
    finally:
        nbformat.write(nb, executed)  # also after a failure or a timeout, to look at
    if failure:
        pytest.fail(f"{name}.ipynb failed in a cell (executed copy: {executed}):\n{failure}", pytrace=False)

    errors = [o for _, o in _outputs(nb, "error")]
    assert not errors, f"{name}.ipynb: error outputs: {[e.ename + ': ' + e.evalue for e in errors]}"
    images = [o for _, o in _outputs(nb) if "image/png" in o.get("data", {})]
    assert images, f"{name}.ipynb drew no PNG figure ({executed})"
    print(f"{name}: {len(images)} figures, executed copy {executed}", file=sys.stderr)
