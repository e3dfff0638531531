import sys

import numpy as np
import pandas as pd
import pytest

from b2m.models import LibraryIndex, RetrievalResult, recall_at_k, retrieve_clips


def _faiss_or_skip():
    """faiss is the optional [scale] extra: its tests skip without it."""
    return pytest.importorskip("faiss")


def _brute_force(queries, library, k):
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    lib = library / np.linalg.norm(library, axis=1, keepdims=True)
    scores = q @ lib.T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, 1), order


def _assert_same_as_reference(result, queries, library, k):
    ref_scores, ref_index = _brute_force(queries, library, k)
    assert result.scores.shape == result.indices.shape == (len(queries), k)
    np.testing.assert_allclose(result.scores, ref_scores, atol=1e-5)
    assert np.all(np.diff(result.scores, axis=1) <= 0)
    differ = result.indices != ref_index
    # Where the order differs, it is a float32 near-tie in the float64 reference.
    assert np.all(np.abs(result.scores[differ] - ref_scores[differ]) < 1e-5)
    assert differ.mean() < 0.01


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((2000, 32)), rng.standard_normal((17, 32))


@pytest.mark.parametrize("backend", ["numpy", "faiss"])
def test_exact_matches_brute_force(data, backend):
    if backend == "faiss":
        _faiss_or_skip()
    library, queries = data
    index = LibraryIndex(library, backend=backend)
    assert index.backend_ == backend
    for k in (1, 10, 2000):
        _assert_same_as_reference(index.search(queries, k=k), queries, library, k)


@pytest.mark.parametrize("block_size", [1, 7, 64, 1999])
def test_blocked_numpy_tiny_blocks(data, block_size):
    library, queries = data
    index = LibraryIndex(library, backend="numpy", block_size=block_size)
    _assert_same_as_reference(index.search(queries, k=10), queries, library, 10)


def test_memory_budget_splits_blocks_and_queries(data):
    library, queries = data
    # 64 KiB: blocks of ~480 rows for 17 queries; for 500 queries the queries are split too.
    index = LibraryIndex(library, backend="numpy", memory_budget=2**16)
    assert index._block_rows(len(queries)) < len(library)
    _assert_same_as_reference(index.search(queries, k=5), queries, library, 5)
    many = np.random.default_rng(1).standard_normal((500, 32))
    _assert_same_as_reference(index.search(many, k=5), many, library, 5)


def test_faiss_missing_falls_back_to_numpy(data, monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)
    library, queries = data
    index = LibraryIndex(library)  # backend="auto": no error
    assert index.backend_ == "numpy"
    _assert_same_as_reference(index.search(queries, k=3), queries, library, 3)
    with pytest.raises(ImportError, match=r"\[scale\]"):
        LibraryIndex(library, backend="faiss")
    with pytest.warns(UserWarning, match="falls back to exact"):
        assert LibraryIndex(library, index="ivf").index == "flat"


def _clustered(rng, n_clusters=50, per_cluster=200, d=32, spread=0.15):
    centres = rng.standard_normal((n_clusters, d))
    labels = rng.integers(n_clusters, size=n_clusters * per_cluster)
    return centres[labels] + spread * rng.standard_normal((len(labels), d)), centres


def test_ivf_recall_on_clustered_library():
    _faiss_or_skip()
    rng = np.random.default_rng(2)
    library, centres = _clustered(rng)
    queries = centres[rng.integers(len(centres), size=40)] + 0.15 * rng.standard_normal((40, 32))
    index = LibraryIndex(library, index="ivf", nprobe=8)
    assert index.nlist == min(round(4 * np.sqrt(len(library))), len(library) // 39)
    approx = index.search(queries, k=10)
    exact = index.search(queries, k=10, exact=True)
    _assert_same_as_reference(exact, queries, library, 10)
    assert recall_at_k(approx, exact) >= 0.9
    index.nprobe = index.nlist  # visiting every cell is exact
    assert recall_at_k(index.search(queries, k=10), exact) == 1.0
    with pytest.raises(ValueError, match="nprobe must be an integer"):
        index.nprobe = 0


def test_recall_at_k_definition():
    exact = np.array([[0, 1, 2], [3, 4, 5]])
    approx = np.array([[2, 1, 9], [-1, -1, -1]])
    assert recall_at_k(approx, exact) == pytest.approx(2 / 6)
    assert recall_at_k(approx, exact, k=1) == 0.0
    with pytest.raises(ValueError, match="k must be in"):
        recall_at_k(approx, exact, k=4)


@pytest.mark.parametrize("index_kind", ["flat", "ivf"])
def test_save_load_round_trip(data, tmp_path, index_kind):
    if index_kind == "ivf":
        _faiss_or_skip()
    library, queries = data
    meta = pd.DataFrame({"clip_id": [f"c{i}" for i in range(len(library))], "n": np.arange(2000)})
    index = LibraryIndex(library, meta, index=index_kind, nprobe=4 if index_kind == "ivf" else None)
    before = index.search(queries, k=5)
    index.save(tmp_path / "lib")
    loaded = LibraryIndex.load(tmp_path / "lib")
    assert loaded.index == index_kind and loaded.nprobe == index.nprobe
    after = loaded.search(queries, k=5)
    np.testing.assert_array_equal(after.indices, before.indices)
    np.testing.assert_allclose(after.scores, before.scores)
    pd.testing.assert_frame_equal(loaded.metadata, index.metadata)
    assert not list((tmp_path / "lib").glob(".*part*"))  # no temporary files left
    loaded.save(tmp_path / "lib")  # overwrite: the previous metadata file is removed
    assert len(list((tmp_path / "lib").glob("metadata-*"))) == 1


def test_load_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no index\.npz"):
        LibraryIndex.load(tmp_path / "nothing")


def test_metadata_join_and_lookup():
    library = np.eye(4)
    meta = pd.DataFrame({"clip_id": ["a", "b", "c", "d"], "score": [0, 1, 2, 3]})
    result = LibraryIndex(library, meta).search(np.array([[0.0, 1, 0.5, 0], [1, 0.3, 0, 0.1]]), k=2)
    assert isinstance(result, RetrievalResult) and result.k == 2
    np.testing.assert_array_equal(result.lookup("clip_id"), [["b", "c"], ["a", "b"]])
    frame = result.to_frame()
    assert list(frame.columns) == ["query", "rank", "index", "score", "clip_id", "item_score"]
    assert frame["rank"].tolist() == [1, 2, 1, 2]
    assert frame["clip_id"].tolist() == ["b", "c", "a", "b"]
    np.testing.assert_allclose(frame["score"].iloc[0], 1 / np.sqrt(1.25), rtol=1e-6)
    with pytest.raises(KeyError, match="column must be one of"):
        result.lookup("genre")


def test_add_extends_library(data):
    library, queries = data
    meta = pd.DataFrame({"clip_id": np.arange(2000)})
    index = LibraryIndex(library[:1500], meta.iloc[:1500], backend="numpy")
    index.add(library[1500:], meta.iloc[1500:])
    assert index.n_items == 2000 and index.metadata["clip_id"].tolist() == list(range(2000))
    _assert_same_as_reference(index.search(queries, k=10), queries, library, 10)
    with pytest.raises(ValueError, match="metadata must be given"):
        index.add(library[:3])
    with pytest.raises(ValueError, match="must have 32 columns"):
        index.add(library[:3, :5], meta.iloc[:3])


def test_add_to_ivf(data):
    _faiss_or_skip()
    library, queries = data
    index = LibraryIndex(library[:1500], index="ivf", nlist=10, nprobe=10)
    index.add(library[1500:])
    _assert_same_as_reference(index.search(queries, k=10), queries, library, 10)


def test_retrieve_clips():
    rng = np.random.default_rng(3)
    library = rng.standard_normal((300, 16))
    ids = np.array([f"track{i:03d}" for i in range(300)])
    decoded = library[[5, 17]] + 0.01 * rng.standard_normal((2, 16))
    frame = retrieve_clips(decoded, library, ids, k=3)
    assert len(frame) == 6
    assert frame.loc[frame["rank"] == 1, "clip_id"].tolist() == ["track005", "track017"]
    with pytest.raises(ValueError, match=r"library_ids must have shape \(300,\)"):
        retrieve_clips(decoded, library, ids[:10])


def test_copy_false_normalises_in_place():
    library = np.random.default_rng(4).standard_normal((50, 8)).astype(np.float32)
    index = LibraryIndex(library, copy=False)
    assert index.embeddings is library
    np.testing.assert_allclose(np.linalg.norm(library, axis=1), 1, rtol=1e-6)
    original = np.ones((5, 8))
    LibraryIndex(original)
    np.testing.assert_array_equal(original, 1)


def test_errors(data):
    library, queries = data
    index = LibraryIndex(library, backend="numpy")
    with pytest.raises(ValueError, match=r"queries must have 32 columns.*received 31"):
        index.search(queries[:, :31])
    bad = queries.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"queries must be finite.*rows \[3\]"):
        index.search(bad)
    with pytest.raises(
        ValueError, match=r"k must be at most the library size \(2000\); received k=2001"
    ):
        index.search(queries, k=2001)
    with pytest.raises(ValueError, match="k must be a positive integer; received 0"):
        index.search(queries, k=0)
    with pytest.raises(ValueError, match=r"backend must be one of .*received 'cuda'"):
        LibraryIndex(library, backend="cuda")
    with pytest.raises(ValueError, match=r"index must be one of .*received 'hnsw'"):
        LibraryIndex(library, index="hnsw")
    with pytest.raises(ValueError, match="index='ivf' needs backend"):
        LibraryIndex(library, backend="numpy", index="ivf")
    zero = library.copy()
    zero[[4, 9]] = 0
    with pytest.raises(
        ValueError,
        match=r"embeddings must have non-zero rows.*2 zero row\(s\), e\.g\. rows \[4, 9\]",
    ):
        LibraryIndex(zero)
    with pytest.raises(ValueError, match="queries must have non-zero rows"):
        index.search(np.zeros((1, 32)))
    with pytest.raises(ValueError, match=r"embeddings must be a 2-D array.*received shape \(32,\)"):
        LibraryIndex(library[0])
    with pytest.raises(ValueError, match="metadata must have one row per item"):
        LibraryIndex(library, pd.DataFrame({"a": [1]}))
    with pytest.raises(ValueError, match="nprobe applies to index='ivf' only"):
        index.nprobe = 3


def test_blocked_search_candidates_in_one_group():
    # Block of 1024 columns → 64 interleaved groups of 16 columns (columns j, j + 16, …): put
    # the 10 best items all in group 3, so the group filter must keep a whole group's worth.
    d = 8
    library = np.tile(np.eye(d)[1], (1024, 1)) + 0.01 * np.arange(1024)[:, None] * np.eye(d)[2]
    best = 3 + 16 * np.arange(10)
    library[best] = np.eye(d)[0] + 0.01 * np.arange(10)[:, None] * np.eye(d)[3]
    queries = np.eye(d)[[0]]
    result = LibraryIndex(library, backend="numpy", block_size=1024).search(queries, k=10)
    assert set(result.indices[0]) == set(best)
    _assert_same_as_reference(result, queries, library, 10)


def test_duplicates_and_ties(data):
    library, queries = data
    library = np.concatenate([library[:300]] * 4)  # every item four times
    for block_size in (50, 1200):
        index = LibraryIndex(library, backend="numpy", block_size=block_size)
        result = index.search(queries, k=12)
        ref_scores, _ = _brute_force(queries, library, 12)
        np.testing.assert_allclose(result.scores, ref_scores, atol=1e-5)
        assert np.all(library[result.indices[:, 0] % 300] == library[result.indices[:, 3] % 300])


def test_numpy_path_never_holds_full_score_matrix():
    import tracemalloc

    rng = np.random.default_rng(5)
    library = rng.standard_normal((20000, 16)).astype(np.float32)
    queries = rng.standard_normal((100, 16)).astype(np.float32)
    index = LibraryIndex(library, backend="numpy", memory_budget=2**18)
    tracemalloc.start()
    result = index.search(queries, k=10)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100 * 20000 * 4 / 4  # a quarter of the full 100 × 20000 float32 matrix
    _assert_same_as_reference(result, queries, library, 10)


def test_auto_uses_faiss_for_many_queries(data, monkeypatch):
    _faiss_or_skip()
    from b2m.models import _retrieval

    library, _ = data
    calls = []
    original = _retrieval.faiss_exact
    monkeypatch.setattr(
        _retrieval, "faiss_exact", lambda *a: calls.append(len(a[0])) or original(*a)
    )
    index = LibraryIndex(library)
    assert index.backend_ == "faiss"
    many = np.random.default_rng(6).standard_normal((_retrieval.FAISS_MIN_QUERIES, 32))
    index.search(many[:10], k=5)
    _assert_same_as_reference(index.search(many, k=5), many, library, 5)
    assert calls == [len(many)]


def test_ivf_loads_as_exact_with_numpy_backend(data, tmp_path):
    _faiss_or_skip()
    library, queries = data
    LibraryIndex(library, index="ivf", nlist=8).save(tmp_path / "ivf")
    with pytest.warns(UserWarning, match="loads as exact search"):
        loaded = LibraryIndex.load(tmp_path / "ivf", backend="numpy")
    assert loaded.index == "flat" and loaded.backend_ == "numpy"
    _assert_same_as_reference(loaded.search(queries, k=4), queries, library, 4)


@pytest.mark.parametrize("backend", ["numpy", "faiss"])
def test_n_threads(data, backend):
    if backend == "faiss":
        faiss = _faiss_or_skip()
        before = faiss.omp_get_max_threads()
    library, queries = data
    index = LibraryIndex(library, backend=backend, n_threads=1)
    _assert_same_as_reference(index.search(queries, k=3), queries, library, 3)
    if backend == "faiss":
        assert faiss.omp_get_max_threads() == before  # restored after the search
    with pytest.raises(ValueError, match="n_threads must be a positive integer"):
        LibraryIndex(library, n_threads=0)


def test_all_tied_library_uses_partition():
    library = np.ones((3000, 8))
    best = [10, 2000, 2999]
    library[best, 0] += [3.0, 2.0, 1.0]
    queries = np.eye(8)[[0]] + 0.1
    for block_size in (256, 3000):
        result = LibraryIndex(library, backend="numpy", block_size=block_size).search(queries, k=5)
        assert result.indices[0, :3].tolist() == best
        np.testing.assert_allclose(result.scores, _brute_force(queries, library, 5)[0], atol=1e-6)
