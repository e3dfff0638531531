"""The linked clip explorer: scatter ↔ brain surface ↔ A/B players ↔ retrieval list.

Selecting a clip (a point of the scatter, the dropdown, or a row of the retrieval list) plays it,
shows its measured response — or the encoder's prediction — on the fsaverage5 surface, lists the
clips retrieved for it and its reconstructions, and loads the first reconstruction into the second
player for A/B listening. Everything is linked with ``traitlets.link``/``observe(names=...)``;
errors raised while doing so are shown in the explorer's ``output``, never swallowed.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
import traitlets

from b2m.surface import N_VERTICES
from b2m.validation import check_array
from b2m_widgets._capture import FAILED, call_captured, clear_errors
from b2m_widgets._explorer_build import RESPONSE_KINDS, build_parts
from b2m_widgets._explorer_data import (
    Responses,
    check_decoded,
    check_reconstructions,
    is_study,
    reconstruction_rows,
    reconstructions_for,
    resolve_clips,
    retrieval_for,
    retrieval_rows,
)
from b2m_widgets._explorer_static import explorer_figure, figure_png

__all__ = ["RESPONSE_KINDS", "ClipExplorer", "view_clip_explorer"]

_HEIGHT = 400


class ClipExplorer(widgets.VBox):
    """Explore a study clip by clip: map, brain response, players, retrieval and reconstructions.

    Parameters
    ----------
    study : b2m.datasets.Study
        Its ``clips`` table (``clip_id``, ``genre``), ``load_audio(clip_id)`` and
        ``responses`` (training rows, test repeats) are used.
    embeddings : array-like of shape (n_clips, n_dims)
        One embedding per clip of the map (rows: ``clip_ids``).
    decoded : DecodingResult or callable, optional
        What the retrieval list shows: a :func:`b2m.analysis.decode_study` result (its
        ``neighbours(i, k)`` for test clips), or ``decoded(index) -> list of dict`` (keys
        ``index``, ``clip_id``, ``genre``, ``score``). Clips without a decoded embedding, and
        all clips when omitted, list their cosine neighbours in ``embeddings`` (dimensions
        z-scored, as in the map).
    encoder : b2m.models.Encoder or EncodingResult, optional
        Enables the "predicted" response: ``encoder.predict(features[[index]])``.
    reconstructions : mapping or callable, optional
        ``clip_id -> list of Reconstruction`` (objects or dicts with ``audio`` of shape
        (n_samples,), ``sr`` and optionally ``label``, ``backend``, ``rank``, ``similarity``).
    clip_ids : sequence of str of length n_clips, optional
        Clip of each row of ``embeddings``; default ``study.clips.clip_id``.
    features : array-like of shape (n_clips, n_features), optional
        The encoder's input per row; default ``embeddings``.
    k : int, default 5
        Rows of the retrieval list.
    method : {"pca", "tsne"}, default "pca"
        Projection of the scatter.
    title : str, optional
        Scatter title.
    initial : int or str or None, default 0
        Row (or clip id) shown at start, without playing; None shows nothing.
    static_fallback : bool, default False
        Add a PNG of :meth:`static_figure` to the display data (for PDF export; costs a few s).
    text_search : b2m.analysis.TextSearch, optional
        Shows a text box: a description ("distorted guitar, fast drums") is mapped onto the
        tag vocabulary, the matching clips fill the list (activate a row to select and play
        it) and, with an encoder in the search, the cortex shows where such music would drive
        responses.
    autoplay : bool, default True
        Selecting a clip (map, clip picker) plays it. The player fetches its audio from the
        kernel when it plays (~0.7 MB for a 15-s clip), so with ``autoplay=False`` browsing
        clips costs only the map and the pictures (~0.1 MB each) until Play is pressed.
        Activating a row of a list always plays.

    Attributes
    ----------
    selected : int
        Row of the selected clip (``-1``: none); linked to ``scatter.selected`` and
        ``dropdown.value``.
    response : {"measured", "predicted"}
        What the surface shows; linked to ``response_toggle.value``.
    reconstruction : int
        Row of ``reconstruction_list`` loaded into ``reconstruction_player`` (``-1``: none).
    scatter, surface, dropdown, response_toggle : widgets
        ``dropdown`` is a :class:`~b2m_widgets._clippicker.ClipPicker`: clips grouped (test clips
        with reconstructions first, then by genre), full names on hover, arrow keys kept from
        JupyterLab.
    vertex_panel : VertexPanel
        Filled when a vertex of the cortex is clicked (or :meth:`show_vertex`): its region,
        its response to every clip, the clips that drive it most (activate to play), its
        encoding test r against the noise ceiling.
    stimulus_player, reconstruction_player : AudioPlayer
        A/B players (``src_id``: the clip id, and the reconstruction's id).
    retrieval_list, reconstruction_list : ClipList
    output : ipywidgets.Output
        Errors raised while updating (cleared at each selection).
    """

    selected = traitlets.Int(-1)
    response = traitlets.Unicode("measured")
    reconstruction = traitlets.Int(-1)

    def __init__(
        self,
        study,
        embeddings,
        decoded=None,
        encoder=None,
        reconstructions=None,
        *,
        clip_ids: Sequence[str] | None = None,
        features=None,
        k: int = 5,
        method: str = "pca",
        title: str | None = None,
        initial: int | str | None = 0,
        static_fallback: bool = False,
        text_search=None,
        autoplay: bool = True,
    ):
        if not is_study(study):
            raise TypeError(
                "study must be a b2m.datasets.Study (a clips table with clip_id and genre, and "
                f"load_audio); received {type(study).__name__}."
            )
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive integer; received {k!r}.")
        self.study, self.k, self.static_fallback = study, int(k), bool(static_fallback)
        self.embeddings = check_array(embeddings, "embeddings", ndim=2)
        sd = self.embeddings.std(axis=0)  # neighbours on z-scored dimensions, as in the map
        self._search = (self.embeddings - self.embeddings.mean(axis=0)) / np.where(sd > 0, sd, 1)
        self.clip_ids, self.genres = resolve_clips(study, len(self.embeddings), clip_ids)
        self.decoded = check_decoded(decoded)
        feats = self.embeddings if features is None else check_array(features, "features", ndim=2)
        if len(feats) != len(self.embeddings):
            raise ValueError(
                f"features must have one row per clip ({len(self.embeddings)}); received "
                f"{len(feats)} rows."
            )
        self.responses = Responses(getattr(study, "responses", None), encoder, feats)
        # An EncodingResult also knows each vertex's test r and noise ceiling (vertex panel).
        self._encoding = encoder if hasattr(encoder, "test_r") else None
        self.reconstructions = check_reconstructions(reconstructions)
        if text_search is not None and not callable(text_search):
            raise TypeError(
                "text_search must be a b2m.analysis.TextSearch (callable on a text); received "
                f"{type(text_search).__name__}."
            )
        self.text_search = text_search
        self._recons: list = []
        self._retrieved: list[dict] = []
        self.autoplay = bool(autoplay)
        self._autoplay = False  # the initial clip is shown without playing
        self._build(method, title)
        try:
            if initial is not None:
                self.selected = self._row_of(initial)
        finally:
            self._autoplay = self.autoplay

    # -- construction --------------------------------------------------------------------
    def _build(self, method: str, title: str | None) -> None:
        super().__init__(build_parts(self, method, title, height=_HEIGHT))
        self.add_class("b2m-clip-explorer")
        traitlets.link((self.scatter, "selected"), (self, "selected"))
        traitlets.link((self.dropdown, "value"), (self, "selected"))
        traitlets.link((self.response_toggle, "value"), (self, "response"))
        self.observe(self._on_selected, names="selected")
        self.observe(self._on_response, names="response")
        self.observe(self._on_reconstruction, names="reconstruction")
        self.retrieval_list.on_activate(self._on_retrieval_row)
        self.text_box.observe(self._on_text, names="value")
        self.reconstruction_list.on_activate(self.play_reconstruction)
        self.surface.on_pick(self._on_pick)
        self.vertex_panel.top_clips.on_activate(self._on_vertex_clip)
        # One player at a time: starting one pauses the other.
        self.stimulus_player.observe(self._pause_other, names="playing")
        self.reconstruction_player.observe(self._pause_other, names="playing")

    # -- validation ------------------------------------------------------------------------
    def _row_of(self, clip) -> int:
        if isinstance(clip, str):
            rows = np.flatnonzero(self.clip_ids == clip)
            if len(rows):
                return int(rows[0])
        elif isinstance(clip, (int, np.integer)) and not isinstance(clip, bool):
            if 0 <= clip < len(self.clip_ids):
                return int(clip)
        raise ValueError(
            f"initial must be a row in [0, {len(self.clip_ids)}), a clip id of the map or None; "
            f"received {clip!r}."
        )

    @traitlets.validate("selected")
    def _valid_selected(self, proposal):
        value = proposal["value"]
        if not -1 <= value < len(self.clip_ids):
            raise traitlets.TraitError(
                f"selected must be -1 or an index in [0, {len(self.clip_ids)}); received {value!r}."
            )
        return value

    @traitlets.validate("response")
    def _valid_response(self, proposal):
        value = proposal["value"]
        allowed = list(self.response_toggle.options)
        if value not in allowed:
            hint = " ('predicted' needs an encoder)" if value in RESPONSE_KINDS else ""
            raise traitlets.TraitError(
                f"response must be one of {allowed}{hint}; received {value!r}."
            )
        return value

    @traitlets.validate("reconstruction")
    def _valid_reconstruction(self, proposal):
        value = proposal["value"]
        if not -1 <= value < len(self._recons):
            raise traitlets.TraitError(
                f"reconstruction must be -1 or a row in [0, {len(self._recons)}); received {value!r}."
            )
        return value

    # -- reactions -------------------------------------------------------------------------
    @property
    def clip_id(self) -> str | None:
        """Id of the selected clip (None when nothing is selected)."""
        return None if self.selected < 0 else str(self.clip_ids[self.selected])

    def _pause_other(self, change) -> None:
        if change["new"]:
            players = (self.stimulus_player, self.reconstruction_player)
            players[1 if change["owner"] is players[0] else 0].playing = False

    def _on_selected(self, change) -> None:
        index = change["new"]
        clear_errors(self.output)
        self.reconstruction = -1
        if index < 0:
            self.stimulus_player.playing = False
            self.retrieval_list.set_items([], title="retrieved clips")
            self._recons = []
            self.reconstruction_list.set_items([])
            return
        if self.has_surface:  # first: the map is what the eye waits for
            call_captured(self.output, self._show_response, index)
        if call_captured(self.output, self._load_stimulus, index) is FAILED:
            self.stimulus_player.clear()
            self.stimulus_player.title = f"stimulus: {self.clip_ids[index]} (audio unavailable)"
        if call_captured(self.output, self._show_retrieval, index) is FAILED:
            self.retrieval_list.set_items([], title="retrieval failed (see the error below)")
        if call_captured(self.output, self._show_reconstructions, index) is FAILED:
            self._recons = []
            self.reconstruction_list.set_items([], title="reconstructions: failed (see below)")

    def _load_stimulus(self, index: int) -> None:
        clip_id = str(self.clip_ids[index])
        waveform, sr = self.study.load_audio(clip_id)
        title = f"stimulus: {clip_id} ({self.genres[index]})"
        self.stimulus_player.set_audio(waveform, sr, title=title, src_id=clip_id)
        self.stimulus_player.playing = self._autoplay

    def _show_retrieval(self, index: int) -> None:
        title, items = retrieval_for(
            index,
            decoded=self.decoded,
            embeddings=self._search,
            clip_ids=self.clip_ids,
            genres=self.genres,
            k=self.k,
        )
        self._retrieved = items
        self.retrieval_list.set_items(retrieval_rows(items), title=title)

    def _on_text(self, change) -> None:
        if self.text_search is None or not change["new"].strip():
            return
        clear_errors(self.output)
        if call_captured(self.output, self.search_text, change["new"]) is FAILED:
            self.retrieval_list.set_items([], title="text search failed (see the message below)")

    def search_text(self, text: str):
        """List the clips that match a description and paint where it would drive the cortex.

        Parameters
        ----------
        text : str
            A description in words near the tag vocabulary.

        Returns
        -------
        b2m.analysis.TextSearchResult
        """
        result = self.text_search(text)
        rows = {c: i for i, c in enumerate(map(str, self.clip_ids))}
        items = [
            it | {"index": rows.get(it["clip_id"], -1)} for it in result.neighbour_items(self.k)
        ]
        self._retrieved = items
        tags = ", ".join(f"{t} {w:.2f}" for t, w in result.query.matched[["tag", "weight"]].values)
        self.retrieval_list.set_items(
            retrieval_rows(items), title=f"clips matching {text!r} (tags: {tags})"
        )
        if self.has_surface and result.surface_map is not None:
            self.surface.set_data(
                result.surface_map, title=f"predicted response to {text!r}", threshold=0.0
            )
        return result

    def _on_retrieval_row(self, row: int) -> None:
        index = self._retrieved[row]["index"]
        if index != self.selected:
            self.selected = index
        self.stimulus_player.playing = True  # activating a row plays (also its own clip)

    def _show_reconstructions(self, index: int) -> None:
        clip_id = str(self.clip_ids[index])
        self._recons = []
        self.reconstruction_list.set_items([], title=f"reconstructions of {clip_id}")
        recons = reconstructions_for(self.reconstructions, clip_id)
        self._recons = recons
        self.reconstruction_list.set_items(reconstruction_rows(recons))
        if recons:
            self.reconstruction = 0
        else:
            self.reconstruction_player.clear()
            self.reconstruction_player.title = f"reconstruction: none for {clip_id}"

    def _on_reconstruction(self, change) -> None:
        row = change["new"]
        if row < 0:
            self.reconstruction_player.playing = False
            return
        rec = self._recons[row]

        def load() -> None:  # the audio is read here (a lazy Reconstruction loads or renders)
            self.reconstruction_player.set_audio(
                rec.audio, rec.sr, title=f"reconstruction: {rec.label}", src_id=rec.src_id
            )

        call_captured(self.output, load)
        self.reconstruction_list.current = row

    def play_reconstruction(self, row: int) -> None:
        """Load reconstruction ``row`` of the selected clip into the B player and play it.

        Parameters
        ----------
        row : int
            Row of ``reconstruction_list``.
        """
        self.reconstruction = row
        self.reconstruction_player.playing = True

    def _on_response(self, change) -> None:
        if self.selected >= 0 and self.has_surface:
            clear_errors(self.output)
            call_captured(self.output, self._show_response, self.selected)

    def _on_pick(self, vertex: int) -> None:
        clear_errors(self.output)
        call_captured(self.output, self.show_vertex, vertex)

    def show_vertex(self, vertex: int) -> None:
        """Fill the vertex panel: what vertex ``vertex`` responds to (as a click on it does).

        Parameters
        ----------
        vertex : int
            Index in [0, 20484).
        """
        from b2m_widgets._vertex_panel import response_profile

        if not self.has_surface:
            raise ValueError("show_vertex needs responses on fsaverage5's vertices; none here.")
        if not 0 <= int(vertex) < N_VERTICES:
            raise ValueError(f"vertex must be in [0, {N_VERTICES}); received {vertex!r}.")
        enc = self._encoding
        self.vertex_panel.show(
            int(vertex),
            response_profile(self.responses, self.clip_ids, int(vertex)),
            self.clip_ids,
            self.genres,
            region=self.surface.region_of(int(vertex)),
            test_r=None if enc is None else float(np.asarray(enc.test_r)[vertex]),
            ceiling=None if enc is None else float(np.asarray(enc.noise_ceiling.max_r)[vertex]),
        )

    def _on_vertex_clip(self, row: int) -> None:
        index = self.vertex_panel.rows[row]
        if index != self.selected:
            self.selected = index
        self.stimulus_player.playing = True

    def _show_response(self, index: int) -> None:
        values, title = self.responses.surface_map(index, str(self.clip_ids[index]), self.response)
        # A clip without a response shows the grey background only (every |0| < threshold).
        self.surface.set_data(
            values, title=title, threshold=None if values.any() else 1e-9, label="response (z)"
        )

    # -- static twin -----------------------------------------------------------------------
    def static_figure(self):
        """The explorer's current state as one static matplotlib figure.

        Built from the static twins: :func:`b2m.plotting.plot_embeddings` (the map, the clip
        circled), :func:`b2m.plotting.plot_surface` (the response shown),
        :func:`b2m.plotting.plot_clip` (the stimulus) and :func:`b2m.plotting.plot_neighbours`
        (the retrieved clips).

        Returns
        -------
        matplotlib.figure.Figure
        """
        return explorer_figure(self)

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        if self.static_fallback and isinstance(data, dict):
            data["image/png"] = figure_png(self.static_figure())
        return data


def view_clip_explorer(
    study,
    embeddings,
    decoded=None,
    encoder=None,
    reconstructions=None,
    **options,
) -> ClipExplorer:
    """Explore a study clip by clip: map, brain response, A/B players, retrieval list.

    Static twin: :func:`b2m.plotting.plot_embeddings` (the map, ``highlight=`` the clip) with
    :func:`b2m.plotting.plot_surface` (its response), :func:`b2m.plotting.plot_clip` and
    :func:`b2m.plotting.plot_neighbours`; :meth:`ClipExplorer.static_figure` draws all four.

    Parameters
    ----------
    study : b2m.datasets.Study
        The clips, their audio and the subject's responses.
    embeddings : array-like of shape (n_clips, n_dims)
        One embedding per clip of ``study.clips`` (or of ``clip_ids=``).
    decoded : DecodingResult or callable, optional
        Source of the retrieval list (see :class:`ClipExplorer`).
    encoder : b2m.models.Encoder or EncodingResult, optional
        Enables the predicted response on the surface.
    reconstructions : mapping or callable, optional
        ``clip_id -> list of Reconstruction``, playable against the stimulus.
    **options
        ``clip_ids``, ``features``, ``k``, ``method``, ``title``, ``initial``,
        ``static_fallback`` (default True here: the PNG of :meth:`ClipExplorer.static_figure`
        travels with the widget, for exports), ``text_search``, ``autoplay`` (see
        :class:`ClipExplorer`).

    Returns
    -------
    ClipExplorer
    """
    options.setdefault("static_fallback", True)  # exported notebooks show a picture offline
    return ClipExplorer(study, embeddings, decoded, encoder, reconstructions, **options)
