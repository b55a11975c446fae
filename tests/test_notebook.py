"""examples/tour.ipynb runs top to bottom with a real Jupyter kernel, as CI runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import ROOT, copy_project

#: Starts a Jupyter kernel and runs the tour notebook.
pytestmark = pytest.mark.slow

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

TOUR = ROOT / "examples" / "tour.ipynb"


def test_committed_notebook_has_no_outputs():
    notebook = nbformat.read(TOUR, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "the tour has code cells"
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_tour_executes_without_errors(tmp_path, monkeypatch):
    project = copy_project(tmp_path)
    # The kernel imports searchlib from the copy, and builds the seeds index inside it.
    monkeypatch.setenv("PYTHONPATH", str(project))
    monkeypatch.delenv("SEARCHLIB_INDEX", raising=False)
    notebook = nbformat.read(project / "examples" / "tour.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("print(searchlib.__file__)"))
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(project / "examples")}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, if a cell fails

    outputs = [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]
    assert not [o for o in outputs if o.output_type == "error"]
    imported = notebook.cells[-1].outputs[0]["text"].strip()
    assert Path(imported) == project / "searchlib" / "__init__.py"
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any('class="searchlib"' in page and "<mark>" in page for page in html)
    assert any("<table" in page for page in html)  # a DataFrame
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the timeline plot
    assert (project / "indexes" / "seeds" / "searchlib.json").is_file()
