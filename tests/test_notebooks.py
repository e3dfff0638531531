"""The notebooks: thin, stripped, and executed headless on the simulated study."""

import ast
import json
import os
from pathlib import Path

import pytest

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb"))
#: A phrase each executed notebook must print: evidence that its analysis really ran.
EXPECTED_OUTPUT = {
    "01_dataset_tour": "unique_clips",
    "02_embeddings": "same-genre neighbours",
    "04_reconstruction": "genre_agreement",
}


#: Notebooks whose static figures (matplotlib) must appear in the executed notebook.
FIGURES = ("00_quickstart", "03_decoding")
#: The real recordings of `make music` (read-only), if the run has them.
MUSIC = os.environ.get("B2M_TEST_MUSIC", "").strip()


def _code(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_thin_and_stripped(path):
    nb = json.loads(path.read_text())
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown" and "".join(first["source"]).startswith("# ")
    assert "question" in "".join(first["source"]).lower()
    tagged = [c for c in _code(nb) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert "dataset" in "".join(tagged[0]["source"])
    assert "what we saw" in "".join(nb["cells"][-1]["source"]).lower()
    for cell in _code(nb):
        assert not cell.get("outputs") and cell.get("execution_count") is None, "outputs committed"
        tree = ast.parse("".join(cell["source"]))
        defs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)]
        assert not defs, f"{path.name} defines {[d.name for d in defs]}: logic belongs in b2m"


def test_expected_notebooks_exist():
    names = {p.stem for p in NOTEBOOKS}
    assert {"00_quickstart", "03_decoding"} <= names


@pytest.fixture(scope="module")
def executed(request, study_home, tmp_path_factory):
    """The notebooks whose execution tests are selected, executed two at a time.

    As ``make demo`` runs them (:func:`b2m.demo.execute_notebook`, one numerical thread
    per kernel on two cores): each test then checks its own notebook. Maps a notebook's
    stem to a future of its executed copy; a failed notebook's error is raised by its own
    test, not by the others'.
    """
    from concurrent.futures import ThreadPoolExecutor

    from b2m.demo import NOTEBOOK_COST, execute_notebook, notebook_workers

    selected = [
        item.callspec.params["path"]
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_notebook_executes"
    ]
    out = tmp_path_factory.mktemp("executed_notebooks")
    workers, threads = notebook_workers()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("B2M_DATA", str(study_home))  # the kernels inherit this environment
        mp.delenv("MPLBACKEND", raising=False)  # figures inline, as for a user
        if MUSIC:  # the real recordings of `make music`, read-only: 04 retrieves from them
            mp.setenv("B2M_MUSIC", MUSIC)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            # longest first, for the best packing
            order = sorted(selected, key=lambda p: NOTEBOOK_COST.get(p.name, 0), reverse=True)
            futures = {
                p.stem: pool.submit(execute_notebook, p, out, timeout=600, threads=threads)
                for p in order
            }
            for future in futures.values():
                future.exception()  # wait for all while the environment is set
    return futures


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path, executed):
    import nbformat

    nb = nbformat.read(executed[path.stem].result(), as_version=4)
    errors = [o for c in _code(nb) for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    text = json.dumps([c.get("outputs", []) for c in _code(nb)])
    assert EXPECTED_OUTPUT.get(path.stem, "identification") in text
    if path.stem == "04_reconstruction" and MUSIC:
        assert "debian-music" in text and "No real recordings" not in text
    if path.stem in FIGURES:  # the static figures are drawn into the notebook
        assert "image/png" in text, f"{path.stem} shows no figure"
    # The widgets rendered as widget views, not as their fallback text only.
    assert "application/vnd.jupyter.widget-view+json" in text
