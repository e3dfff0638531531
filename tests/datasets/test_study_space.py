"""``Study.require_space``: the one guard of the analyses and notebooks that draw the surface."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from b2m.datasets import ClipResponses, Study


def _study(tmp_path, space):
    responses = ClipResponses(
        train=np.zeros((2, 3), np.float32), train_ids=np.array(["a", "b"]),
        train_runs=np.array([1, 2]), test_repeats=np.zeros((1, 1, 3), np.float32),
        test_ids=np.array(["c"]), test_runs=np.array([1]),
    )  # fmt: skip
    clips = pd.DataFrame({"clip_id": list("abc"), "genre": ["jazz"] * 3})
    return Study(
        dataset="ds003720", subject="sub-002", clips=clips, responses=responses, space=space,
        root=tmp_path, key="k", sample_rate=22050, data_home=tmp_path,
    )  # fmt: skip


def test_require_space(tmp_path):
    surface = _study(tmp_path, "fsaverage5")
    assert surface.require_space("fsaverage5") is surface
    native = dataclasses.replace(surface, space="native")
    with pytest.raises(
        ValueError,
        match=r"'fsaverage5' space; received a study of sub-002 in "
        r"'native' space\. Load ds003720 with derivatives='fmriprep-fsaverage5'",
    ):
        native.require_space()
    with pytest.raises(ValueError, match=r"needs responses in 'MNI' space.*'native' space\.$"):
        native.require_space("MNI")
