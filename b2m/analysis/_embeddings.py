"""Embeddings of a study's clips in a feature space, cached on disk."""

from __future__ import annotations

import numpy as np

__all__ = ["study_embeddings"]


def study_embeddings(
    study, space: str = "acoustic", *, progressbar: bool = True, **params
) -> np.ndarray:
    """Embeddings of every clip of a study in one feature space (cached on disk).

    Parameters
    ----------
    study : b2m.datasets.Study
    space : str, default "acoustic"
        A name known to :func:`b2m.features.get_feature_space` (``"acoustic"``, ``"genre"``…).
    **params
        Passed to the feature space.

    Returns
    -------
    ndarray of shape (n_clips, n_dims)
        Rows in the order of ``study.clips``.
    """
    from b2m.features import cached_features, get_feature_space

    fs = get_feature_space(space, **params)
    ids = study.clips["clip_id"].tolist()
    if fs.modality == "label":
        return fs.embed_labels(study.clips["genre"].tolist())
    if fs.modality == "text":
        compute = lambda: fs.embed_text(study.clips["caption"].tolist())  # noqa: E731
    else:

        def compute():
            from b2m._utils._progress import progress

            waves = [
                w
                for _, w in progress(
                    study.iter_audio(ids),
                    total=len(ids),
                    desc="Loading audio",
                    disable=None if progressbar else True,
                )
            ]
            return fs.embed_audio(waves, study.sample_rate)

    return cached_features(
        fs, dataset_key=study.key, clip_ids=ids, compute=compute, data_home=study.root.parents[1]
    )
