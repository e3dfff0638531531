"""The real-data code path end to end, on a fake ds003720 setup in the default locations.

The data home holds what a user would put there (see ``_real_setup``): the BIDS tree (raw runs
and fMRIPrep fsaverage5 outputs), a GTZAN copy and a caption file. Nothing is passed to the
loaders but ``dataset="ds003720"`` (and ``derivatives``): the notebooks run with injected
parameters, the command line as a user types it. The planted responses are the clips' acoustic
features projected onto auditory cortex, so decoding must work, and well above chance.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

NB_DIR = Path(__file__).resolve().parents[2] / "notebooks"
PROBE = "B2M-PROBE "
FS5 = {"dataset": "ds003720", "derivatives": "fmriprep-fsaverage5"}
RAW = {"dataset": "ds003720", "derivatives": "raw"}
TOUR_PROBE = (
    "{'space': study.space, 'bold': list(bold.shape), 'caption': clip.caption, "
    "'n_features': study.responses.train.shape[1], "
    "'n_columns': bold[:, columns].shape[1]}"
)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def execute_notebook(name: str, params: dict, probe: str | None, env: dict[str, str]):
    """Execute ``notebooks/<name>.ipynb`` with ``params`` injected after its parameters cell.

    The injected cell (tagged ``injected-parameters``) assigns each parameter, as papermill
    does. ``probe`` (an expression) is printed as JSON by a last cell. ``env``: the kernel's
    whole environment. Returns the executed notebook and the probe's value (None without a
    probe).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell

    nb = nbformat.read(NB_DIR / f"{name}.ipynb", as_version=4)
    (where,) = [
        i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    source = "\n".join(f"{key} = {value!r}" for key, value in params.items())
    nb.cells.insert(where + 1, new_code_cell(source, metadata={"tags": ["injected-parameters"]}))
    if probe is not None:
        nb.cells.append(
            new_code_cell(f"import json as _json\nprint({PROBE!r} + _json.dumps({probe}))")
        )
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NB_DIR)}}
    ).execute(env=env)
    value = None
    if probe is not None:
        lines = [line for line in _texts(nb.cells[-1:]).splitlines() if line.startswith(PROBE)]
        assert len(lines) == 1, "the probe cell printed nothing"
        value = json.loads(lines[0][len(PROBE) :])
    return nb, value


def _texts(cells) -> str:
    """All text of the cells' outputs (streams and text/plain)."""
    out = []
    for cell in cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                out.append(o["text"])
            elif "data" in o:
                out.append(str(o["data"].get("text/plain", "")))
    return "\n".join(out)


def _widget_views(nb) -> int:
    return sum(
        "application/vnd.jupyter.widget-view+json" in o.get("data", {})
        for c in nb.cells
        for o in c.get("outputs", [])
    )


def b2m(*args, env_home: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run the installed ``b2m`` command with ``B2M_DATA`` set (as a user's shell would)."""
    import os

    exe = shutil.which("b2m", path=str(Path(sys.executable).parent))
    assert exe is not None, "the b2m entry point is not installed beside this Python"
    env = {**os.environ, "B2M_DATA": str(env_home), "B2M_PROGRESS": "0"}
    env.pop("B2M_GTZAN", None)
    return subprocess.run(
        [exe, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env
    )


#: The notebook runs of this module, by the name of the test that checks each: (notebook,
#: injected parameters, probe). The module fixture ``notebook_runs`` executes the selected
#: ones two at a time.
RUNS = {
    "test_dataset_tour_notebook[fsaverage5]": ("01_dataset_tour", FS5, TOUR_PROBE),
    "test_dataset_tour_notebook[native]": ("01_dataset_tour", RAW, TOUR_PROBE),
    "test_embeddings_notebook": (
        "02_embeddings",
        FS5,
        "{'music': list(music.shape), 'text': list(text.shape), "
        "'captions': int((study.clips.caption.str.len() > 0).sum()), "
        "'agree_music': genre_neighbour_agreement(music, study.clips.genre), "
        "'agree_text': genre_neighbour_agreement(text, study.clips.genre), "
        "'matched': found.query.matched.tag.tolist(), 'top': found.ranked.genre.head(20).tolist()}",
    ),
    "test_decoding_notebook_on_native_voxels": (
        "03_decoding",
        {**RAW, "n_permutations": 50, "n_voxels": 60},  # the tiny grid has ~140 voxels
        "{'space': study.space, 'table': table.to_dict('records'), "
        "'selected': selected.to_dict('records')}",
    ),
    "test_encoding_notebook_on_the_surface": (
        "05_encoding_maps",
        FS5,
        "{s: {**r.summary(), 'significant': [int(i) for i in r.significant.nonzero()[0]]} "
        "for s, r in results.items()}",
    ),
    "test_surface_notebooks_stop_clearly_on_native_voxels": ("05_encoding_maps", RAW, None),
    "test_text_vs_music_notebook_on_the_surface": (
        "06_text_vs_music",
        FS5,
        "{'summary': result.summary(), 'decoded': decoded.to_dict('records')}",
    ),
    "test_quickstart_notebook_on_the_surface": (
        "00_quickstart",
        FS5,
        "{'space': study.space, 'identification': result.summary()['identification'], "
        "'best_region': encoding.summary()['best_region'], 'tags': tags.summary()}",
    ),
    # The synthesiser needs the simulator's attributes: on real data, retrieval only.
    "test_reconstruction_notebook_retrieves_on_real_data": (
        "04_reconstruction",
        {**FS5, "backends": ["retrieval"]},
        "evaluation.to_frame().to_dict('records')",
    ),
}
#: The run that computes the musicnn features of the GTZAN copy (notebook 02), and those that
#: read them from the feature cache: they wait for it rather than compute them a second time
#: beside it.
MUSICNN_RUN = "test_embeddings_notebook"
USE_MUSICNN = (
    "test_decoding_notebook_on_native_voxels",
    "test_quickstart_notebook_on_the_surface",
    "test_reconstruction_notebook_retrieves_on_real_data",
)
#: Seconds each run took on two cores, one after the other (2026-12-08): the longest start
#: first (02, :data:`MUSICNN_RUN`, always starts first).
RUN_COST = {
    "test_embeddings_notebook": 99,
    "test_text_vs_music_notebook_on_the_surface": 30,
    "test_decoding_notebook_on_native_voxels": 20,
    "test_encoding_notebook_on_the_surface": 16,
    "test_dataset_tour_notebook[fsaverage5]": 14,
    "test_reconstruction_notebook_retrieves_on_real_data": 12,
    "test_quickstart_notebook_on_the_surface": 11,
    "test_dataset_tour_notebook[native]": 5,
    "test_surface_notebooks_stop_clearly_on_native_voxels": 4,
}


@pytest.fixture(scope="module")
def notebook_runs(request, real_setup):
    """The selected notebook runs of :data:`RUNS`, executed two at a time.

    Every kernel gets ``B2M_DATA`` at the fake real setup and nothing else that says where
    the data are. Notebook 02 is the longest run (musicnn over the 540 clips): it starts
    first, with every core's threads; the runs that read its features (:data:`USE_MUSICNN`)
    wait for it, the others go beside it with one numerical thread each
    (:func:`b2m.demo.kernel_environment`). On two cores the module's notebooks took 179 s
    this way and 210 s one after the other (190 s with one thread for 02 too).

    Returns a function of a test's name giving ``(executed notebook, probe value)`` of its
    run, or raising the run's error: a failed notebook fails its own test only.
    """
    from concurrent.futures import ThreadPoolExecutor, wait

    from b2m._utils._parallel import n_cores
    from b2m.demo import kernel_environment, notebook_workers

    def kernel(threads):  # the data home, and nothing else saying where the data are
        env = {**kernel_environment(threads), "B2M_DATA": str(real_setup.home)}
        env.pop("B2M_GTZAN", None)
        return env

    here = [
        item for item in request.session.items if getattr(item, "module", None) is request.module
    ]
    selected = {item.name for item in here if item.name in RUNS}
    workers, threads = notebook_workers()
    env, env_first = kernel(threads), kernel(n_cores())
    first = [MUSICNN_RUN] if MUSICNN_RUN in selected else []
    rest = sorted(selected - set(first), key=lambda n: (n in USE_MUSICNN, -RUN_COST.get(n, 0)))

    def run(name):
        if name in USE_MUSICNN and first:
            wait([futures[MUSICNN_RUN]])  # its failure is its own test's
        return execute_notebook(*RUNS[name], env)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(execute_notebook, *RUNS[name], env_first) for name in first}
        futures.update({name: pool.submit(run, name) for name in rest})

    def result(name: str):
        assert name in futures, f"{name} is not a notebook run of this module"
        return futures[name].result()

    return result


# --------------------------------------------------------------------------------------------
# (a) load_study from the default locations
# --------------------------------------------------------------------------------------------
def test_load_study_from_default_locations(real_home, real_setup):
    import soundfile as sf

    from b2m.analysis import study_embeddings
    from b2m.datasets import load_study
    from b2m.features import get_feature_space

    study = load_study("ds003720", "sub-001", progressbar=False)
    assert study.dataset == "ds003720" and study.space == "native"
    assert study.responses.train.shape == (480, study.mask_img.get_fdata().astype(bool).sum())
    assert study.responses.test_repeats.shape[:2] == (4, 60)
    assert (len(study.train_clips), len(study.test_clips)) == (480, 60)
    assert set(study.clips.clip_id) == set(real_setup.clips.clip_id)
    assert study.source["bids_root"] == str(real_setup.bids_root.resolve())

    # Audio comes from the GTZAN copy in <home>/gtzan: the excerpt [start, end) of the file.
    clip = study.test_clips.iloc[0]
    wave, sr = study.load_audio(clip.clip_id)
    assert sr == 22050 and wave.shape == (round((clip.end - clip.start) * sr),)
    path = real_setup.gtzan_dir / "genres" / clip.genre / f"{clip.clip_id}.wav"
    raw, file_sr = sf.read(path, dtype="float64")
    assert file_sr == sr
    excerpt = raw[round(clip.start * sr) : round(clip.start * sr) + wave.size]
    middle = slice(3 * sr, wave.size - 3 * sr)  # away from the 2-s fades
    assert np.corrcoef(excerpt[middle], wave[middle])[0, 1] > 0.999

    # Captions come from <home>/brain2music_captions, one per clip, and key the feature cache.
    written = _read_captions(real_setup.captions_file)
    assert (study.clips.caption.str.len() > 0).all()
    assert study.clips.set_index("clip_id").caption.to_dict() == written
    assert study.key.startswith("ds003720-captions-")
    features = study_embeddings(study, "acoustic", progressbar=False)
    np.testing.assert_allclose(features, real_setup.features, rtol=1e-5, atol=1e-6)
    # ... and the cached (planted) features are those of this audio: recompute a few clips.
    rows = [0, 123, 539]
    waves = [study.load_audio(c)[0] for c in study.clips.clip_id.iloc[rows]]
    fresh = get_feature_space("acoustic").embed_audio(waves, sr)
    np.testing.assert_allclose(fresh, features[rows], rtol=1e-4, atol=1e-5)

    surface = load_study(
        "ds003720", "sub-001", derivatives="fmriprep-fsaverage5", progressbar=False
    )
    assert surface.space == "fsaverage5" and surface.mask_img is None
    assert surface.responses.train.shape == (480, 20484)
    assert surface.key == study.key


def _read_captions(path) -> dict:
    import pandas as pd

    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return dict(zip(table.clip_id, table.caption, strict=True))


# --------------------------------------------------------------------------------------------
# (b) the notebooks with dataset="ds003720"
# --------------------------------------------------------------------------------------------
@pytest.mark.notebook
@pytest.mark.parametrize("params", [FS5, RAW], ids=["fsaverage5", "native"])
def test_dataset_tour_notebook(notebook_runs, request, real_setup, params):
    from b2m.regions import auditory_regions

    nb, probe = notebook_runs(request.node.name)
    text = _texts(nb.cells)
    assert "unique_clips" in text
    space = "fsaverage5" if params["derivatives"] != "raw" else "native"
    assert probe["space"] == space
    assert probe["bold"] == [410, probe["n_features"]]
    assert (probe["n_features"] == 20484) == (space == "fsaverage5")
    assert probe["caption"] and probe["caption"] in text  # the caption was printed
    region = int(auditory_regions()["left Heschl's gyrus"].sum())
    assert probe["n_columns"] == (region if space == "fsaverage5" else 100)
    assert _widget_views(nb) >= 2  # two audio players


@pytest.mark.notebook
def test_embeddings_notebook(notebook_runs, request):
    nb, probe = notebook_runs(request.node.name)
    assert "same-genre neighbours" in _texts(nb.cells)
    # musicnn on the GTZAN-layout audio (the learned model on the real-data path).
    assert probe["music"] == [540, 200] and probe["text"][0] == 540
    assert "drums" in probe["matched"] and len(probe["top"]) == 20
    assert probe["captions"] == 540
    # The fake GTZAN audio and its captions are genre-typical (chance about 0.1).
    assert probe["agree_music"] > 0.5 and probe["agree_text"] > 0.3
    assert _widget_views(nb) >= 3


@pytest.mark.notebook
def test_decoding_notebook_on_native_voxels(notebook_runs, request):
    nb, probe = notebook_runs(request.node.name)
    text = _texts(nb.cells)
    assert probe["space"] == "native"
    rows = {r["space"]: r for r in probe["table"]}
    assert set(rows) == {"acoustic", "musicnn", "musicnn-tags", "genre", "text-lsa",
                         "sentence-minilm"}  # fmt: skip
    assert "mean_tag_auc" in text  # the decoded-tags cells ran
    acoustic = rows["acoustic"]
    assert acoustic["identification"] > 0.75, acoustic
    assert acoustic["identification"] > acoustic["chance_high"]
    assert acoustic["top5"] > 5 / 60
    for space in ("genre", "text-lsa"):  # genre-typical music and captions
        assert rows[space]["identification"] > rows[space]["chance_high"], rows[space]
    assert all(r["n_voxels"] == 60 for r in probe["selected"])
    assert "No planted truth on real data" in text
    assert _widget_views(nb) >= 1
    print({space: round(r["identification"], 3) for space, r in rows.items()})


@pytest.mark.notebook
def test_encoding_notebook_on_the_surface(notebook_runs, request, real_setup):
    nb, probe = notebook_runs(request.node.name)
    assert "No planted truth on real data" in _texts(nb.cells)
    auditory = real_setup.fsaverage5.extra["auditory"]
    acoustic = probe["acoustic"]
    significant = np.asarray(acoustic["significant"], int)
    assert acoustic["n_significant"] == significant.size > 100
    # What is found is where the responses were planted: auditory cortex (FDR q < 0.05).
    precision = float(auditory[significant].mean())
    assert precision > 0.9
    assert acoustic["best_region"] != "whole cortex"
    assert _widget_views(nb) >= 3  # ceiling, acoustic and genre maps
    keys = ("n_significant", "best_region", "best_region_mean_r")
    print({k: acoustic[k] for k in keys}, {"inside auditory cortex": round(precision, 3)})


@pytest.mark.notebook
def test_surface_notebooks_stop_clearly_on_native_voxels(notebook_runs, request):
    from nbclient.exceptions import CellExecutionError

    with pytest.raises(CellExecutionError) as info:
        notebook_runs(request.node.name)
    message = str(info.value)
    assert "ValueError" in message and "derivatives='fmriprep-fsaverage5'" in message
    assert "'native' space" in message


@pytest.mark.notebook
def test_text_vs_music_notebook_on_the_surface(notebook_runs, request):
    nb, probe = notebook_runs(request.node.name)
    text = _texts(nb.cells)
    assert "No planted truth on real data" in text
    summary = probe["summary"]
    assert summary["music_space"] == "acoustic" and summary["text_space"] == "text-lsa"
    assert summary["n_significant_music"] > 100 and summary["n_significant_union"] > 100
    decoded = {r["space"]: r["identification"] for r in probe["decoded"]}
    assert decoded["acoustic"] > 0.75 and decoded["text-lsa"] > 0.6, decoded
    assert _widget_views(nb) >= 3  # unique music, unique text, shared
    print({k: summary[k] for k in ("n_significant_music", "n_significant_text")}, decoded)


# --------------------------------------------------------------------------------------------
# (c, d) the command line
# --------------------------------------------------------------------------------------------
def test_cli_fit_and_report(real_home):
    done = b2m(
        "fit", "--dataset", "ds003720", "--subject", "sub-001", "--space", "acoustic",
        "--kind", "decode", env_home=real_home,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    match = re.search(r"identification accuracy (\d\.\d{3})", done.stdout)
    assert match, done.stdout
    accuracy = float(match.group(1))
    assert accuracy > 0.75, done.stdout
    out = real_home / "results" / "ds003720" / "sub-001" / "decode-acoustic"
    assert f"saved to {out}" in done.stdout
    saved = json.loads((out / "params.json").read_text())
    assert saved["dataset"] == "ds003720" and saved["study_key"].startswith("ds003720-captions-")
    assert saved["summary"]["n_voxels"] < 20484  # raw runs, native voxels

    report = b2m("report", env_home=real_home)
    assert report.returncode == 0, report.stderr
    assert "Identification accuracy" in report.stdout
    row = re.search(r"^sub-001\s+(\d\.\d{3})", report.stdout, flags=re.MULTILINE)
    assert row, report.stdout
    assert float(row.group(1)) == pytest.approx(accuracy, abs=1e-3)
    assert "ds003720" in report.stdout
    print(done.stdout.splitlines()[0])


def test_cli_missing_bids_root_is_one_line(real_home):
    done = b2m(
        "fit", "--dataset", "ds003720", "--bids-root", "/nonexistent", "--space", "acoustic",
        "--kind", "decode", env_home=real_home,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("b2m fit: error: bids_root '/nonexistent' does not exist")
    assert "fetch_ds003720" in lines[0]


@pytest.mark.notebook
def test_quickstart_notebook_on_the_surface(notebook_runs, request):
    nb, probe = notebook_runs(request.node.name)
    assert probe["space"] == "fsaverage5"
    # musicnn embeddings of the fake GTZAN clips decode from the planted acoustic responses.
    assert probe["identification"] > 0.7, probe
    assert probe["tags"]["mean_tag_auc"] > probe["tags"]["tag_auc_chance_high"], probe
    assert probe["best_region"] != "whole cortex"
    assert _widget_views(nb) >= 4  # player, map, surface, explorer
    print(probe)


@pytest.mark.notebook
def test_reconstruction_notebook_retrieves_on_real_data(notebook_runs, request):
    nb, probe = notebook_runs(request.node.name)
    rows = {r["backend"]: r for r in probe}
    assert {"retrieval", "decoded"} <= set(rows), rows
    assert rows["retrieval"]["identification"] > 0.65, rows
    assert _widget_views(nb) >= 3
    print({b: round(r["identification"], 3) for b, r in rows.items()})
