"""Brain2Music's decoder: one decoder per region, the best regions by training CV averaged."""

from __future__ import annotations

import numpy as np
import pandas as pd

from b2m.models import Decoder, IdentificationResult, identify
from b2m.regions import auditory_regions
from b2m.surface import N_VERTICES

__all__ = ["RegionEnsemble"]


class RegionEnsemble:
    """Brain2Music's decoder: one :class:`b2m.models.Decoder` per region, the best averaged.

    Each region's decoder is fitted on the training clips and scored by its mean
    cross-validated R² over embedding dimensions (``ridge_.best_cv_score_``, run-grouped
    folds on training clips only); the ``n_best`` best regions are kept and their
    predictions, in the standardised embedding space, are averaged.

    Parameters
    ----------
    regions : dict of str to bool array of shape (n_vertices,)
        Region masks over the columns of the responses.
    n_best : int, default 6
        How many regions to keep (Brain2Music kept 6).
    alphas : array-like, optional
    n_splits : int, default 5

    Attributes
    ----------
    decoders_ : dict of str to Decoder
        The kept regions' decoders, best first.
    regions_ : list of str
        The kept regions, best first.
    region_scores_ : pandas.Series
        Mean training CV R² of every region's decoder, best first.
    target_scaler_ : object
        Standardisation of the embeddings (training statistics; the same for every region).
    n_features_in_ : int
        Number of vertices of the responses passed to :meth:`fit`.
    """

    def __init__(self, regions: dict, n_best: int = 6, *, alphas=None, n_splits: int = 5):
        self.regions = regions
        self.n_best = n_best
        self.alphas = alphas
        self.n_splits = n_splits

    def _masks(self, n_vertices: int) -> dict[str, np.ndarray]:
        if not isinstance(self.regions, dict) or not self.regions:
            raise ValueError(
                "regions must be a non-empty dict of region name to boolean mask; "
                f"received {type(self.regions).__name__} of length {len(self.regions or ())}."
            )
        masks = {}
        for name, mask in self.regions.items():
            mask = np.asarray(mask)
            if mask.dtype != bool or mask.shape != (n_vertices,):
                raise ValueError(
                    f"regions[{name!r}] must be a boolean mask of shape ({n_vertices},) (one "
                    f"entry per response column); received {mask.dtype} of shape {mask.shape}."
                )
            if not mask.any():
                raise ValueError(f"regions[{name!r}] selects no vertex; received an empty mask.")
            masks[str(name)] = mask
        n = self.n_best
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= len(masks):
            raise ValueError(
                f"n_best_regions must be an integer between 1 and the number of regions "
                f"({len(masks)}); received {n!r}."
            )
        return masks

    def fit(self, responses, embeddings, runs):
        """Fit one decoder per region on training clips and keep the best.

        Parameters
        ----------
        responses : array of shape (n_clips, n_vertices)
        embeddings : array of shape (n_clips, n_dims)
        runs : array of shape (n_clips,)

        Returns
        -------
        self
        """
        responses = np.asarray(responses, dtype=np.float32)
        masks = self._masks(responses.shape[1] if responses.ndim == 2 else -1)
        fitted, scores = {}, {}
        for name, mask in masks.items():
            dec = Decoder(self.alphas, n_splits=self.n_splits)
            fitted[name] = dec.fit(responses[:, mask], embeddings, runs)
            scores[name] = float(np.mean(dec.ridge_.best_cv_score_))
        order = sorted(scores, key=lambda k: -scores[k])  # stable: ties keep dict order
        self.region_scores_ = pd.Series(
            [scores[k] for k in order], index=pd.Index(order, name="region"), name="cv_r2"
        )
        self.regions_ = order[: int(self.n_best)]
        self.decoders_ = {k: fitted[k] for k in self.regions_}
        self.masks_ = {k: masks[k] for k in self.regions_}
        self.target_scaler_ = fitted[self.regions_[0]].target_scaler_
        self.n_features_in_ = responses.shape[1]
        return self

    @property
    def voxels_(self) -> np.ndarray:
        """Vertices of the kept regions (union, sorted), shape (n_voxels,)."""
        return np.flatnonzero(np.any(list(self.masks_.values()), axis=0))

    def predict_standardised(self, responses) -> np.ndarray:
        """Mean of the kept decoders' standardised predictions, shape (n_clips, n_dims)."""
        responses = np.asarray(responses, dtype=np.float32)
        if responses.ndim != 2 or responses.shape[1] != self.n_features_in_:
            raise ValueError(
                f"responses must have shape (n_clips, {self.n_features_in_}); "
                f"received {responses.shape}."
            )
        preds = [
            self.decoders_[k].ridge_.predict(responses[:, self.masks_[k]]) for k in self.regions_
        ]
        return np.mean(preds, axis=0)

    def predict(self, responses) -> np.ndarray:
        """Decoded embeddings of shape (n_clips, n_dims), in the embedding's units."""
        return self.target_scaler_.inverse_transform(self.predict_standardised(responses))

    def transform_embeddings(self, embeddings) -> np.ndarray:
        """Standardise embeddings with the training statistics, shape (n, n_dims)."""
        return self.decoders_[self.regions_[0]].transform_embeddings(embeddings)

    def identify(self, responses, embeddings, clip_ids=None) -> IdentificationResult:
        """Decode ``responses`` and identify them among ``embeddings`` (standardised space)."""
        decoded = self.predict_standardised(responses)
        return identify(decoded, self.transform_embeddings(embeddings), clip_ids)


def _region_masks(study, regions) -> dict:
    """Resolve ``regions`` (a named set or a dict) for the study's responses."""
    if isinstance(regions, dict):
        return regions
    if regions != "auditory":
        raise ValueError(
            "regions must be 'auditory' (b2m.regions.auditory_regions on fsaverage5) or a dict "
            f"of region name to boolean mask; received {regions!r}."
        )
    n_vertices = study.responses.train.shape[1]
    if study.space != "fsaverage5" or n_vertices != N_VERTICES:
        raise ValueError(
            f"regions='auditory' needs responses on fsaverage5 ({N_VERTICES} vertices); "
            f"received space {study.space!r} with {n_vertices} columns. Load fMRIPrep "
            "derivatives (derivatives='fmriprep-fsaverage5' or 'fmriprep-mni') or pass a dict "
            "of boolean masks over the columns."
        )
    return auditory_regions()
