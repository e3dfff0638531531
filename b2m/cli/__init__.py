"""The ``b2m`` command line: the long steps users run outside a notebook.

``b2m fetch`` downloads the real study; ``b2m fetch-music`` fetches real, freely licensed
music from Debian packages; ``b2m simulate`` builds the simulated one;
``b2m features`` embeds a study's clips or a folder of music (optionally on Dask);
``b2m fit`` decodes or encodes one subject and saves the result; ``b2m report`` tabulates
saved results; ``b2m decode`` prints quick identification numbers; ``b2m demo`` runs the demo.
Run ``b2m COMMAND --help`` for each command's options and examples.
"""

from __future__ import annotations

import argparse
import os
import sys

from b2m.cli._common import add_common_options
from b2m.cli._data import add_data_commands
from b2m.cli._features import add_features_command
from b2m.cli._fit import add_fit_commands
from b2m.cli._music import add_music_command
from b2m.cli._report import add_report_command

__all__ = ["build_parser", "main"]

#: Errors that mean bad input or missing data: one line on stderr and exit status 2. Unknown
#: names (``UnknownNameError``) and unavailable operations (``NotAvailableError``) are
#: ValueErrors; a bare KeyError or NotImplementedError is a bug and keeps its traceback.
_USER_ERRORS = (ValueError, OSError, ImportError)

_EXAMPLES = """examples:
  b2m simulate --subjects sub-001
  b2m features --space acoustic
  b2m fit --space acoustic --kind decode
  b2m fit --space acoustic --kind encode
  b2m report
  b2m features --music-dir ~/gtzan/genres --space acoustic --out ~/libs/gtzan --scheduler local
  b2m fetch --subjects 1 --tasks Test --dry-run
  b2m fetch-music --list
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``b2m`` command."""
    parser = argparse.ArgumentParser(
        prog="b2m",
        description="b2m-explorer: reproduce Brain2Music with open models, from the shell.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common_options(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_data_commands(sub)
    add_music_command(sub)
    add_features_command(sub)
    add_fit_commands(sub)
    add_report_command(sub)
    return parser


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv=None) -> int:
    """Entry point of the ``b2m`` command.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 on bad input or missing data (one line on stderr; ``--debug`` shows
        the traceback), 130 when interrupted. Malformed options exit through argparse
        (``SystemExit(2)``).
    """
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # the reader went away (`b2m report | head`): not an error
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"b2m {args.command}: interrupted", file=sys.stderr)
        return 130
    except _USER_ERRORS as exc:
        if args.debug:
            raise
        print(f"b2m {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
