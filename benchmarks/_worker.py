"""Run one benchmark configuration in a fresh Python process and read back its result.

A configuration measured in its own process has its own peak memory and its own caches, so
the benchmarks here start one per configuration. The worker prints its result as one JSON
object on its last line of standard output.
"""

from __future__ import annotations

import json
import subprocess
import sys


def run_json_worker(
    args: list[str], what: str, env: dict | None = None, cwd: str | None = None
) -> dict:
    """``python <args>``; return the JSON object on the last line it printed.

    Parameters
    ----------
    args : list of str
        Arguments after the interpreter (a script path or ``-c CODE``, then its arguments).
    what : str
        Names the configuration in the error.
    env : dict, optional
        The worker's environment (default: this process's).
    cwd : str, optional
        The worker's working folder (default: this process's). A ``-c`` worker imports from
        its working folder first, before ``PYTHONPATH``.

    Raises
    ------
    RuntimeError
        If the worker exits with a non-zero status (the end of its standard error is shown).
    """
    proc = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, env=env, cwd=cwd
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
