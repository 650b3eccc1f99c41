"""Table 12 rows: the paper's numbers beside ours, missing runs marked as missing."""

from __future__ import annotations

import json

import pytest

from tasks.segmentation.report import PAPER_TABLE12, build_table12, format_table12


def write_record(run_dir, clean, robust, complete=True):
    (run_dir / "robustness").mkdir(parents=True)
    record = {"suite": "voc-c", "clean": {"pixel_accuracy": clean[0], "miou": clean[1]}, "complete": complete,
              "corruptions": {}, "robustness": {"pixel_accuracy": robust[0], "miou": robust[1]}}
    (run_dir / "robustness" / "voc-c.json").write_text(json.dumps(record))


def test_rows_put_ours_beside_the_paper(tmp_path):
    write_record(tmp_path / "dense", (80.0, 40.0), (70.0, 20.0))
    write_record(tmp_path / "s01", (81.0, 41.0), (71.0, 21.0))
    rows = build_table12({"dense": tmp_path / "dense", "set_s0.1": tmp_path / "s01",
                          "set_s0.2": tmp_path / "absent"})
    assert [r["metric"] for r in rows] == ["clean pixAcc", "clean mIoU", "robustness pixAcc", "robustness mIoU"]
    robust_miou = rows[3]
    assert robust_miou["dense"] == {"paper": 22.60, "ours": 20.0,
                                    "source": str(tmp_path / "dense" / "robustness" / "voc-c.json")}
    assert robust_miou["set_s0.1"]["ours"] == 21.0 and robust_miou["set_s0.1"]["paper"] == 23.09
    assert robust_miou["set_s0.2"]["ours"] is None
    assert robust_miou["set_s0.2"]["source"].startswith("missing: ")
    text = format_table12(rows)
    assert "| clean pixAcc | 85.65 | 80.00 | 85.63 | missing | 85.66 | 81.00 |" in text


def test_an_incomplete_evaluation_is_not_reported(tmp_path):
    write_record(tmp_path / "dense", (80.0, 40.0), (70.0, 20.0), complete=False)
    rows = build_table12({"dense": tmp_path / "dense", "set_s0.1": None, "set_s0.2": None})
    assert rows[0]["dense"]["ours"] is None
    assert rows[0]["dense"]["source"].startswith("not a complete evaluation: ")


def test_paper_numbers_are_table12():
    assert PAPER_TABLE12["set_s0.1"]["clean mIoU"] == 47.10
    assert PAPER_TABLE12["dense"]["robustness pixAcc"] == 76.80
    with pytest.raises(ValueError, match="allowed: dense"):
        build_table12({"rigl": "x"})
