"""A grouped, keyboard-safe clip picker (anywidget): a labelled ``<select>`` with ``<optgroup>``.

Used by :class:`b2m_widgets.ClipExplorer` instead of an ``ipywidgets.Dropdown``: options are
grouped (e.g. test clips with reconstructions first, then by genre), carry their full name as a
tooltip, and the keys pressed in it do not reach JupyterLab's notebook shortcuts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import anywidget
import traitlets

__all__ = ["ClipPicker"]

_ESM = (Path(__file__).parent / "static" / "clippicker.js").read_text(encoding="utf-8")
_CSS = """
.b2m-clip-picker { display: flex; gap: 8px; align-items: center; font-size: 13px; }
.b2m-clip-picker select { max-width: 100%; min-width: 16em; font-family: monospace; }
"""


def _check_options(options) -> list[dict]:
    if isinstance(options, (str, bytes, Mapping)) or not isinstance(options, Sequence):
        raise TypeError(f"options must be a list of dicts; received {type(options).__name__}.")
    out = []
    for pos, item in enumerate(options):
        if not isinstance(item, Mapping) or "value" not in item or "label" not in item:
            got = sorted(item) if isinstance(item, Mapping) else type(item).__name__
            raise ValueError(
                f"options[{pos}] must be a dict with 'value' and 'label' keys; received {got}."
            )
        label = str(item["label"])
        out.append(
            {
                "value": int(item["value"]),
                "label": label,
                "group": str(item.get("group", "")),
                "title": str(item.get("title", label)),
            }
        )
    return out


class ClipPicker(anywidget.AnyWidget):
    """Pick one clip from grouped options.

    Parameters
    ----------
    options : sequence of dict
        In display order, each with ``value`` (int >= 0), ``label`` (str) and optionally
        ``group`` (consecutive options of one group share an ``<optgroup>``) and ``title``
        (the full name, shown on hover).
    value : int, default -1
        The picked option's value (``-1``: none, shown as ``placeholder``).
    description : str, default "clip"
        The visible label (also the accessible name).
    placeholder : str, default "(select a clip)"

    Attributes
    ----------
    value : int
        Synced with the browser.
    """

    _esm = _ESM
    _css = _CSS
    options = traitlets.List(traitlets.Dict()).tag(sync=True)
    value = traitlets.Int(-1).tag(sync=True)
    description = traitlets.Unicode("clip").tag(sync=True)
    placeholder = traitlets.Unicode("(select a clip)").tag(sync=True)

    def __init__(
        self,
        options=(),
        *,
        value: int = -1,
        description: str = "clip",
        placeholder: str = "(select a clip)",
    ):
        super().__init__(
            options=_check_options(list(options)),
            description=str(description),
            placeholder=str(placeholder),
        )
        self.value = value

    @traitlets.validate("options")
    def _valid_options(self, proposal):
        return _check_options(proposal["value"])

    @traitlets.validate("value")
    def _valid_value(self, proposal):
        value = proposal["value"]
        allowed = {o["value"] for o in self.options}
        if value != -1 and value not in allowed:
            raise traitlets.TraitError(
                f"value must be -1 or the value of an option; received {value!r}."
            )
        return value
