"""The explorer's weight and speed in a real browser: bytes per clip selection and per vertex pick,
click→repaint latency, kernel memory, and the size of executed notebooks.

A private JupyterLab (the browser test's helper, ``tests/browser/_lab.py``) runs a small notebook
that opens :func:`b2m_widgets.view_clip_explorer` on the simulated study (acoustic space); Debian's
Chromium, driven by Playwright, then

* selects clips with ArrowDown in the explorer's clip picker: bytes received over the kernel's
  websocket per selection, and the time from the key press to the first WebGL draw of the new
  map (the cortex canvas counts maps and draws in ``data-maps``/``data-draws``), median and max;
* clicks the cortex: bytes received and the time until the vertex panel shows the new vertex;
* reads the kernel's resident memory (psutil).

``--sizes`` also executes notebooks headless (nbclient) twice — with and without saving widget
state — and prints the size of each executed ``.ipynb`` and the kernel's peak memory. The
widget state holds each widget's script, ~20 kB for the cortex and the scatter, and, once per
mesh, the cortex geometry (a plotly figure used to carry all of plotly.js, 5 MB); players keep
their audio in the kernel until they play. ``selection_kb_by_widget_mean`` splits the bytes of
a selection between the cortex, the audio player (the selected clip's WAV, fetched because the
explorer plays what is selected) and the rest.

Baseline, measured in the same page: a bare widget round trip (a click on an ipywidgets
``Button`` whose Python handler sets a ``Label``); latencies are also printed as ratios to it.
Numbers depend on the machine; this is a benchmark, not a test.

Usage::

    python benchmarks/bench_browser_viewer.py                 # explorer in JupyterLab (~2 min)
    python benchmarks/bench_browser_viewer.py --sizes 00_quickstart 05_encoding_maps
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

_CELLS = [
    "from b2m.analysis import decode_study, encode_study, study_embeddings\n"
    "from b2m.datasets import load_study\n"
    "from b2m_widgets import view_clip_explorer",
    'study = load_study("simulated", "sub-001")\n'
    'embeddings = study_embeddings(study, "acoustic")\n'
    'decoded = decode_study(study, "acoustic")\n'
    'encoding = encode_study(study, "acoustic", n_permutations=0)',
    "explorer = view_clip_explorer(\n"
    "    study, embeddings, decoded=decoded, encoder=encoding, initial=0\n"
    ")\n"
    "explorer",
    "from ipywidgets import Button, HBox, Label\n"
    "probe, echo = Button(description='probe'), Label('0')\n"
    "probe.on_click(lambda _: setattr(echo, 'value', str(int(echo.value) + 1)))\n"
    "probe.add_class('b2m-probe')\n"
    "echo.add_class('b2m-echo')\n"
    "HBox([probe, echo])",
    "import json\n"
    "parts = {'cortex': explorer.surface.cortex, 'audio': explorer.stimulus_player}\n"
    "ids = {name: part.model_id for name, part in parts.items()}\n"
    "json.dump(ids, open('model_ids.json', 'w'))",
]

_WATCH = """() => {
  const root = document.querySelector('.b2m-surface-figure .b2m-cortex');
  window.__b2m = {restyle: 0, panel: 0, pending: false};
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.attributeName === 'data-maps') window.__b2m.pending = true;
      if (r.attributeName === 'data-draws' && window.__b2m.pending) {
        window.__b2m.pending = false;
        window.__b2m.restyle = performance.now();
      }
    }
  }).observe(root, {attributes: true});
  const panel = document.querySelector('.b2m-vertex-panel');
  new MutationObserver(() => { window.__b2m.panel = performance.now(); })
    .observe(panel, {subtree: true, childList: true, characterData: true});
  return true;
}"""


_TIMES = """() => {
  const s = document.querySelector('.b2m-surface-figure canvas.b2m-cortex-canvas').b2m;
  return {colorMs: s.colorMs, drawMs: s.drawMs};
}"""


def _kernel_rss(lab, notebook: str) -> float:
    import psutil

    kernel_id = lab.session(notebook)["kernel"]["id"]
    for proc in psutil.process_iter(["cmdline"]):
        if any(kernel_id in part for part in proc.info["cmdline"] or []):
            return proc.memory_info().rss / 2**30
    return float("nan")


def _round_trip(page, n: int) -> float:
    """Median ms from Enter on the probe button to its Python handler's label update.

    Timed in the page (``performance.now()`` at the key press and in a MutationObserver on the
    label), as the selections are.
    """
    from _lab import wait_until

    page.evaluate("""() => {
      const echo = document.querySelector('.b2m-echo');
      window.__b2mEcho = 0;
      new MutationObserver(() => { window.__b2mEcho = performance.now(); })
        .observe(echo, {subtree: true, childList: true, characterData: true});
    }""")
    button = page.locator(".b2m-probe").first
    button.scroll_into_view_if_needed()
    times = []
    for _ in range(n):
        button.focus()
        before = page.evaluate("window.__b2mEcho")
        t_key = page.evaluate("performance.now()")
        page.keyboard.press("Enter")
        wait_until(lambda b=before: page.evaluate("window.__b2mEcho") != b, 30, "the echo", 0.02)
        times.append(page.evaluate("window.__b2mEcho") - t_key)
        page.wait_for_timeout(200)
    return statistics.median(times)


def bench_explorer(data_home: Path, n_selections: int, n_picks: int) -> dict:
    """Drive the explorer in JupyterLab; return bytes, latencies and kernel memory."""
    import nbformat
    from _lab import CHROMIUM, CHROMIUM_ARGS, JupyterLab, wait_until
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="b2m_bench_browser_"))
    lab = JupyterLab(workdir, data_home).start()
    name = "bench_viewer.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in _CELLS]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, lab.notebook_dir / name)
    received = [0]
    by_part: dict[str, int] = {}
    model_ids: dict[str, str] = {}
    outside: list[str] = []
    out: dict = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1300})

            def on_frame(payload):
                received[0] += len(payload)
                text = payload if isinstance(payload, str) else payload[:4096].decode("latin-1")
                part = next((k for k, i in model_ids.items() if i in text), "other")
                by_part[part] = by_part.get(part, 0) + len(payload)

            def on_ws(ws):
                ws.on("framereceived", on_frame)

            page.on("websocket", on_ws)
            page.on(
                "request",
                lambda r: (
                    not r.url.startswith(("data:", "blob:", lab.base_url)) and outside.append(r.url)
                ),
            )
            page.goto(lab.lab_url(name, workspace="bench"), wait_until="domcontentloaded")
            page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
            wait_until(lambda: lab.kernel_state(name) == "idle", 120, "the kernel", 0.5)
            start = received[0]
            t0 = time.monotonic()
            page.locator(".jp-NotebookPanel .jp-Cell").first.click()
            page.keyboard.press("Escape")
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
            page.locator(".b2m-surface-figure .b2m-cortex[data-ready]").first.wait_for(
                timeout=600_000
            )
            wait_until(lambda: lab.kernel_state(name) == "idle", 600, "Run All", 0.5)
            page.wait_for_timeout(2000)
            out["run_all_s"] = time.monotonic() - t0
            model_ids.update(json.loads((lab.notebook_dir / "model_ids.json").read_text()))
            out["run_all_mb_received"] = (received[0] - start) / 1e6
            page.evaluate(_WATCH)
            select = page.locator(".b2m-clip-picker select").first
            select.scroll_into_view_if_needed()
            sizes, latencies, draws = [], [], []
            by_part.clear()
            for _ in range(n_selections):
                select.focus()
                before, restyled = received[0], page.evaluate("window.__b2m.restyle")
                t_key = page.evaluate("performance.now()")
                page.keyboard.press("ArrowDown")
                wait_until(
                    lambda r=restyled: page.evaluate("window.__b2m.restyle") != r,
                    30,
                    "a repaint",
                    0.02,
                )
                latencies.append(page.evaluate("window.__b2m.restyle") - t_key)
                draws.append(page.evaluate(_TIMES))
                page.wait_for_timeout(1500)  # let the audio and lists arrive too
                sizes.append(received[0] - before)
            out["selection_kb"] = [round(s / 1e3, 1) for s in sizes]
            out["selection_kb_by_widget_mean"] = {
                k: round(v / 1e3 / n_selections, 1) for k, v in by_part.items()
            }
            # The explorer plays a selected clip: its player then fetches the WAV (~0.7 MB).
            # Without that fetch (autoplay=False, or before Play) a selection sends the rest.
            out["selection_kb_without_audio_mean"] = round(
                (sum(sizes) - by_part.get("audio", 0)) / 1e3 / n_selections, 1
            )
            out["cortex_colour_ms_median"] = statistics.median(d["colorMs"] for d in draws)
            out["cortex_draw_ms_median"] = statistics.median(d["drawMs"] for d in draws)
            out["selection_repaint_ms_median"] = statistics.median(latencies)
            out["selection_repaint_ms_max"] = max(latencies)
            figure = page.locator(".b2m-surface-figure canvas.b2m-cortex-canvas").first
            figure.scroll_into_view_if_needed()
            box = figure.bounding_box()
            spots = [(0.2, 0.5), (0.25, 0.6), (0.3, 0.45), (0.7, 0.5), (0.75, 0.6), (0.8, 0.45)]
            sizes, latencies = [], []
            for fx, fy in spots[:n_picks]:
                x, y = box["x"] + fx * box["width"], box["y"] + fy * box["height"]
                page.mouse.move(x, y)
                page.wait_for_timeout(300)
                before, changed = received[0], page.evaluate("window.__b2m.panel")
                t_click = page.evaluate("performance.now()")
                page.mouse.down()
                page.wait_for_timeout(100)  # a press, not a zero-length click
                page.mouse.up()
                try:
                    wait_until(
                        lambda c=changed: page.evaluate("window.__b2m.panel") != c,
                        10,
                        "a pick",
                        0.02,
                    )
                except TimeoutError:
                    continue  # the click missed the mesh
                page.wait_for_timeout(300)
                latencies.append(page.evaluate("window.__b2m.panel") - t_click)
                sizes.append(received[0] - before)
            out["pick_kb"] = [round(s / 1e3, 1) for s in sizes]
            if latencies:
                out["pick_panel_ms_median"] = statistics.median(latencies)
                out["pick_panel_ms_max"] = max(latencies)
            out["baseline_round_trip_ms_median"] = _round_trip(page, n_selections)
            base = out["baseline_round_trip_ms_median"]
            out["selection_repaint_vs_round_trip"] = round(
                out["selection_repaint_ms_median"] / base, 2
            )
            if "pick_panel_ms_median" in out:
                out["pick_panel_vs_round_trip"] = round(out["pick_panel_ms_median"] / base, 2)
            out["kernel_rss_gb"] = _kernel_rss(lab, name)
            out["requests_outside_127.0.0.1"] = outside
            page.screenshot(path=str(workdir / "bench_viewer.png"))
            out["screenshot"] = str(workdir / "bench_viewer.png")
            browser.close()
    finally:
        lab.stop()
    return out


_PEAK_RSS = (
    "import resource, psutil\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, psutil.Process().memory_info().rss)"
)


def bench_sizes(notebooks: list[str], data_home: Path) -> dict:
    """Execute notebooks headless with and without widget state; sizes of the saved files."""
    import os

    import nbformat
    from nbclient import NotebookClient

    os.environ["B2M_DATA"] = str(data_home)
    os.environ.pop("MPLBACKEND", None)
    out = {}
    for stem in notebooks:
        path = ROOT / "notebooks" / f"{stem}.ipynb"
        for store in (True, False):
            nb = nbformat.read(path, as_version=4)
            # Last cell: the kernel's peak resident memory (Linux: ru_maxrss in kB) and its
            # resident memory at the end (bytes), read back and removed before the size is taken.
            nb.cells.append(nbformat.v4.new_code_cell(_PEAK_RSS))
            t0 = time.monotonic()
            NotebookClient(
                nb,
                timeout=1800,
                kernel_name="python3",
                store_widget_state=store,
                resources={"metadata": {"path": str(path.parent)}},
            ).execute()
            key = f"{stem} ({'with' if store else 'without'} widget state)"
            probe = nb.cells.pop()
            peak_kb, end_b = map(int, probe.outputs[0]["text"].split()) if probe.outputs else (0, 0)
            out[key] = {
                "mb": len(nbformat.writes(nb).encode()) / 1e6,
                "s": round(time.monotonic() - t0, 1),
                "kernel_peak_rss_gb": round(peak_kb / 2**20, 2),
                "kernel_end_rss_gb": round(end_b / 2**30, 2),
            }
            print(key, out[key], flush=True)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-home", type=Path, default=None, help="default: $B2M_DATA")
    parser.add_argument("--selections", type=int, default=8)
    parser.add_argument("--picks", type=int, default=4)
    parser.add_argument("--sizes", nargs="*", default=None, metavar="NOTEBOOK")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    from b2m.config import get_data_home

    home = get_data_home(args.data_home)
    results: dict = {}
    if not args.no_browser:
        results["explorer"] = bench_explorer(home, args.selections, args.picks)
        print(json.dumps(results["explorer"], indent=1), flush=True)
    if args.sizes is not None:
        results["executed_notebooks"] = bench_sizes(args.sizes or ["00_quickstart"], home)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
