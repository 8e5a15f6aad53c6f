"""The command line: `pathways validate | gaps | route | show | compare | map | ... | db ...`.

A SOURCE is an inventory file or folder, or a database URL with a site
(`postgresql://HOST/DB#SITE`, the shared store); every command answers alike for both.

A user's mistake (a bad inventory, a missing file, an unknown service id) exits 1 with one line
per problem and never a traceback; anything else is a bug and is allowed to crash loudly.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pathways.model.errors import InventoryError, ValidationError

COMMAND_MODULES: tuple[str, ...] = (
    "pathways.cli.inventory",
    "pathways.cli.gaps",
    "pathways.cli.route",
    "pathways.cli.orient",
    "pathways.cli.compare",
    "pathways.cli.map",
    "pathways.cli.coverage",
    "pathways.cli.export",
    "pathways.cli.imports",
    "pathways.cli.diff",
    "pathways.cli.store",
    "pathways.cli.db",
)
"""One module a command group: each has `register(subparsers)`, which adds its parsers and sets
`func` (a function of the parsed arguments returning the exit code) with `set_defaults`.
Imported when the parser is built; each loads the heavy layers (maps, exports) only when its
command runs."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 1 (not 2 with a usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(1, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, exposed so tests and docs can read the commands."""
    parser = _Parser(
        prog="pathways",
        description="Referral Atlas: validate SGBV service inventories, find referral gaps, "
        "draw maps.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    command = args.func
    try:
        return int(command(args))
    except ValidationError as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        return 1
    except InventoryError as e:
        print(f"pathways: error: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `pathways gaps ... | head`
        return 0
