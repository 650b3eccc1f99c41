"""Run `dscr analyze ...` in-process through the module's own parser (the top-level CLI registers it too)."""

from __future__ import annotations

import argparse

from dscr.cli import analyze


def run_analyze(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="dscr")
    analyze.add_parser(parser.add_subparsers(dest="command"))
    return analyze.run(parser.parse_args(["analyze", *map(str, argv)]))
