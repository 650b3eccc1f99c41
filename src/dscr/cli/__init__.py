"""The `dscr` command. Each subcommand is a module here with `add_parser(subparsers)` and `run(args)`.

This package is the only place that imports `tasks`: the library under `dscr` never does.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import sys

# Subcommand modules, in the order `dscr --help` lists them.
COMMANDS = ["data", "train", "evaluate", "corrupt", "flops", "demo", "report", "pipeline", "launch", "analyze",
            "segment", "video"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dscr", description="Dynamic sparse training vs dense: corruption "
                                     "robustness (Wu et al., ICLR 2025).")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"dscr.cli.{name}")
        module.add_parser(subparsers).set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    from dscr.config import DscrError

    args = build_parser().parse_args(argv)
    try:
        code = args._run(args)
    except DscrError as exc:
        print(f"dscr {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        # writes that do not go through dscr.engine.io (dvclive, mmengine, folders) still end in one line
        print(f"dscr {args.command}: error: no space left on device: {exc.filename or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"dscr {args.command}: interrupted", file=sys.stderr)
        return 130
    return int(code or 0)
