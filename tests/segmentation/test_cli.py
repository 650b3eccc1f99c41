"""`dscr train-seg` / `dscr evaluate-seg` parse and run through src/dscr/cli/segment.py."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from dscr.cli import segment
from dscr.config import DscrError


def parser():
    p = argparse.ArgumentParser(prog="dscr")
    sub = p.add_subparsers(dest="command", required=True)
    segment.add_parser(sub).set_defaults(_run=segment.run)
    return p


def test_evaluate_seg_writes_the_json(smoke_run, capsys):
    args = parser().parse_args(["evaluate-seg", smoke_run.work_dir, "--corruptions", "fog",
                                "--severities", "2", "--max-images", "1", "--device", "cpu"])
    assert args._run(args) == 0
    # A subset is written under a name that says so, never as the suite's complete result.
    record = json.loads((Path(smoke_run.work_dir) / "robustness" / "voc-c.limit1.only-fog.sev-2.json").read_text())
    assert list(record["corruptions"]) == ["fog"] and record["images"] == 1
    assert record["complete"] is False and record["partial"] == {"limit": 1, "corruptions": ["fog"], "severities": [2]}
    assert not (Path(smoke_run.work_dir) / "robustness" / "voc-c.json").exists()
    assert "robustness pixAcc" in capsys.readouterr().out


def test_bad_input_is_a_user_error(tmp_path):
    args = parser().parse_args(["evaluate-seg", str(tmp_path), "--severities", "one"])
    with pytest.raises(DscrError, match="comma-separated integers"):
        args._run(args)
    args = parser().parse_args(["evaluate-seg", str(tmp_path), "--max-images", "-1"])
    with pytest.raises(DscrError, match="--max-images -1: must be >= 0"):
        args._run(args)
    args = parser().parse_args(["evaluate-seg", str(tmp_path)])
    with pytest.raises(DscrError, match="not a segmentation run folder"):
        args._run(args)
    args = parser().parse_args(["train-seg", "--config", str(tmp_path / "nope.py")])
    with pytest.raises(DscrError, match="not found"):
        args._run(args)
