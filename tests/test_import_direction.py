"""``b2m`` (compute) never imports display libraries nor ``b2m_widgets`` (design §1, rule 1)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FORBIDDEN = ("plotly", "ipywidgets", "anywidget", "b2m_widgets")
ROOT = Path(__file__).resolve().parents[1]

# Import b2m and every submodule that exists; report the forbidden modules then loaded. A module
# whose import fails only because an optional third-party extra is missing is reported apart.
SCRIPT = f"""
import importlib, json, pkgutil, sys
import b2m
names, missing, errors = ["b2m"], {{}}, {{}}
for info in pkgutil.walk_packages(b2m.__path__, "b2m."):
    names.append(info.name)
    try:
        importlib.import_module(info.name)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in ("b2m",):
            errors[info.name] = repr(exc)
        else:
            missing[info.name] = exc.name
    except Exception as exc:
        errors[info.name] = repr(exc)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {FORBIDDEN!r})
print(json.dumps({{"names": names, "missing": missing, "errors": errors, "loaded": loaded}}))
"""


def test_b2m_never_imports_display_libraries():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert "b2m.plotting" in report["names"]
    assert "b2m.surface" in report["names"]
    assert report["errors"] == {}, report["errors"]
    assert report["loaded"] == [], (
        f"b2m imported display modules {report['loaded']} (checked {report['names']})"
    )


def test_widgets_use_only_public_b2m_api():
    """``b2m_widgets`` imports public ``b2m`` modules only (no ``b2m._x`` nor ``b2m.y._z``)."""
    import ast

    private = []
    for path in sorted((ROOT / "b2m_widgets").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "b2m" and any(p.startswith("_") for p in parts[1:]):
                    private.append(f"{path.name}:{node.lineno} {name}")
    assert private == [], private


#: The layers of b2m, bottom-up (docs/architecture.md): a module imports only from its own
#: layer or those below it, at module top or lazily.
LAYERS = {
    "_utils": 0, "constants": 0, "config": 0, "validation": 0,
    "stats": 1, "surface": 1, "regions": 1, "models": 1,
    "datasets": 2,
    "features": 3,
    "analysis": 4,
    "reconstruction": 5,
    "plotting": 6,
    "cli": 7, "demo": 7,
}  # fmt: skip


def test_b2m_layers_import_downwards_only():
    import ast

    upward = []
    for path in sorted((ROOT / "b2m").rglob("*.py")):
        parts = path.relative_to(ROOT / "b2m").with_suffix("").parts
        source = parts[0]
        if source == "__init__":
            continue  # the package root re-exports
        assert source in LAYERS, f"{path}: add {source!r} to LAYERS and docs/architecture.md"
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("b2m."):
                target = node.module.split(".")[1]
                if LAYERS.get(target, 99) > LAYERS[source]:
                    upward.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {node.module}")
    assert upward == [], upward


def test_architecture_page_names_every_layer():
    page = (ROOT / "docs" / "architecture.md").read_text()
    missing = [name for name in LAYERS if f"`{name}`" not in page]
    assert missing == [], f"docs/architecture.md does not mention {missing}"
