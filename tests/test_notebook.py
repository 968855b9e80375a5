"""notebooks/explore_sample.ipynb runs from top to bottom in a real Jupyter kernel on the sample in data/,
offline and headless (through nbclient, as ``jupyter execute`` runs it), says nothing on stderr, leaves nothing
behind, and is committed without outputs."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "explore_sample.ipynb"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Run after the notebook's own cells, in its kernel: what its last figure and its folder look like then.
PROBE = """print([float(tick).is_integer() for tick in ax.get_xticks()], output.exists())"""


def _tagged(nb, tag: str) -> list:
    cells = [cell for cell in nb.cells if tag in cell.metadata.get("tags", [])]
    assert cells, f"no cell tagged {tag!r} in {NOTEBOOK.name}"
    return cells


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict:
    """The notebook after one run, with the probe cell after its own, and the folders it ran with: its
    working folder and its temporary folder (TMPDIR), both empty before."""
    from jupyter_client.kernelspec import find_kernel_specs

    assert "python3" in find_kernel_specs(), "no 'python3' Jupyter kernel: pip install ipykernel"
    workdir = tmp_path_factory.mktemp("notebook-cwd")
    temporary = tmp_path_factory.mktemp("notebook-tmp")
    env = {**os.environ, "MPLBACKEND": "Agg", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "TMPDIR": str(temporary)}
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120,
                                     resources={"metadata": {"path": str(workdir)}})
    client.execute(env=env)
    return {"nb": nb, "workdir": workdir, "tmp": temporary}


def test_committed_notebook_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code
    assert [(cell.outputs, cell.execution_count) for cell in code] == [([], None)] * len(code)


@pytest.mark.slow
def test_runs_without_error_and_without_a_word_on_stderr(executed):
    outputs = [out for cell in executed["nb"].cells if cell.cell_type == "code" for out in cell.outputs]
    assert [out for out in outputs if out.output_type == "error"] == []
    # no warning (tqdm's IProgress one, say): nothing on stderr at all
    assert [out.text for out in outputs if out.output_type == "stream" and out.name == "stderr"] == []
    assert all(cell.execution_count is not None for cell in executed["nb"].cells if cell.cell_type == "code")


@pytest.mark.slow
def test_leaves_nothing_behind(executed):
    assert list(executed["workdir"].iterdir()) == []
    assert list(executed["tmp"].iterdir()) == []
    probe = executed["nb"].cells[-1].outputs
    assert probe[0].text.rstrip().endswith("False")  # its output folder is gone


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


@pytest.mark.slow
def test_the_histogram_of_whole_numbers_has_ticks_on_whole_numbers_only(executed):
    ticks = executed["nb"].cells[-1].outputs[0].text.rsplit("]", 1)[0] + "]"
    assert ticks.startswith("[True") and "False" not in ticks
