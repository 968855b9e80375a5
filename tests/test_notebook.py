"""notebooks/explore_sample.ipynb runs from top to bottom in a real Jupyter kernel on the sample in data/,
offline and headless, writes only where ``LEIA_NOTEBOOK_OUTPUT`` points, and is committed without outputs."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "explore_sample.ipynb"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _tagged(nb, tag: str) -> list:
    cells = [cell for cell in nb.cells if tag in cell.metadata.get("tags", [])]
    assert cells, f"no cell tagged {tag!r} in {NOTEBOOK.name}"
    return cells


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict:
    """The notebook after one run, the folder it ran in and the output folder it was given."""
    from jupyter_client.kernelspec import find_kernel_specs

    assert "python3" in find_kernel_specs(), "no 'python3' Jupyter kernel: pip install ipykernel"
    workdir = tmp_path_factory.mktemp("notebook-cwd")
    output = tmp_path_factory.mktemp("notebook-output") / "run"
    env = {**os.environ, "MPLBACKEND": "Agg", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "LEIA_NOTEBOOK_OUTPUT": str(output)}
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120,
                                     resources={"metadata": {"path": str(workdir)}})
    client.execute(env=env)
    return {"nb": nb, "workdir": workdir, "output": output}


def test_committed_notebook_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code
    assert [(cell.outputs, cell.execution_count) for cell in code] == [([], None)] * len(code)


@pytest.mark.slow
def test_runs_without_error(executed):
    errors = [out for cell in executed["nb"].cells if cell.cell_type == "code"
              for out in cell.outputs if out.output_type == "error"]
    assert errors == []
    assert all(cell.execution_count is not None for cell in executed["nb"].cells if cell.cell_type == "code")


@pytest.mark.slow
def test_writes_only_to_the_given_output_folder(executed):
    augmented = executed["output"] / "augmented"
    assert (augmented / "manifest.json").is_file()
    assert sorted(p.name for p in augmented.glob("*.arrow"))
    assert list(executed["workdir"].iterdir()) == []


@pytest.mark.slow
def test_round_trip_cell_shows_true(executed):
    (cell,) = _tagged(executed["nb"], "round-trip")
    assert [(out.output_type, out.data["text/plain"]) for out in cell.outputs] == [("execute_result", "True")]


@pytest.mark.slow
def test_plot_cells_show_a_png(executed):
    cells = _tagged(executed["nb"], "plot")
    assert len(cells) == 2
    for cell in cells:
        images = [out.data["image/png"] for out in cell.outputs if "image/png" in out.get("data", {})]
        assert len(images) == 1, f"cell {cell.id!r} showed {len(images)} PNG images"
        assert base64.b64decode(images[0]).startswith(PNG_MAGIC)
