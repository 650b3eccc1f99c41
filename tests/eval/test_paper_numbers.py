"""Every published number a report prints is the paper's, and the report names the table it comes from.

The appendix rows below are copied verbatim from the paper's appendix (Wu et al., ICLR 2025, A.3.2 and A.6-A.9;
the text extraction keeps one table row per line). They are parsed here, independently of the code's tables,
and when the appendix text itself is on the machine (`../shared/spec/paper/`) every copied row must occur in it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from dscr.report import paper, paper_analyses, table2
from tasks.segmentation import report as seg_report

# (scale of training FLOPs, of inference FLOPs, of parameters): the column headers of Tables 4-7.
FLOPS_ROWS = {
    ("vgg16", "cifar10", 160): ((1e16, 1e8, 1e6), """
Dense - - - - - 1.51 - - - - - 6.30 - - - - - 15.25
SET / RigL 0.46 0.61 0.76 0.91 1.06 - 1.92 2.55 3.17 3.80 4.42 - 4.95 6.43 7.89 9.37 10.81 -
MESTr / MESTg 0.51 0.67 0.84 1.00 1.17 - 1.92 2.55 3.17 3.80 4.42 - 4.95 6.43 7.89 9.37 10.81 -
GraNetr / GraNetg 0.68 0.73 0.85 0.97 1.09 - 1.92 2.55 3.17 3.80 4.42 - 4.95 6.43 7.89 9.37 10.81 -"""),
    ("resnet34", "cifar100", 160): ((1e16, 1e9, 1e6), """
dense - - - - - 5.57 - - - - - 2.32 - - - - - 21.33
SET / RigL 1.68 2.24 2.79 3.35 3.90 - 0.67 0.93 1.18 1.40 1.62 - 6.45 8.57 10.70 12.82 14.95 -
MESTr / MESTg 1.85 2.46 3.07 3.68 4.29 - 0.67 0.93 1.18 1.40 1.62 - 6.45 8.57 10.70 12.82 14.95 -
GraNetr / GraNetg 2.51 2.68 3.13 3.63 4.02 - 0.67 0.93 1.18 1.40 1.62 - 6.45 8.57 10.70 12.82 14.95 -"""),
    ("efficientnet_b0", "tinyimagenet", 100): ((1e15, 1e9, 1e6), """
Dense - - - - - 1.98 - - - - - 6.63 - - - - - 4.26
SET/ RigL 0.66 0.85 1.04 1.23 1.42 - 2.21 2.85 3.48 4.12 4.75 - 1.89 2.29 2.68 2.68 3.08 -
MESTr / MESTg 0.72 0.92 1.13 1.34 1.55 - 2.21 2.85 3.48 4.12 4.75 - 1.89 2.29 2.68 2.68 3.08 -
GraNetr / GraNetg 0.89 1.02 1.15 1.32 1.46 - 2.21 2.85 3.48 4.12 4.75 - 1.89 2.29 2.68 2.68 3.08 -"""),
    ("resnet50", "imagenet", 90): ((1e18, 1e9, 1e6), """
Dense 2.28 8.21 25.56 1.0
RigL 2.17 7.80 23.00 0.9 → 0.9
MESTg 2.18 7.80 23.00 0.92 → 0.9
GraNetg 2.20 7.80 23.00 0.95 → 0.9"""),
}
TABLE8 = """19.82 ± 0.32 97% 23.44 ± 1.79 25.23 ± 1.39 24.50 ± 1.03 26.64 ± 1.06
95% 25.55 ± 0.32 25.03 ± 1.11 27.38 ± 0.25 27.13 ± 0.33"""
TABLE9 = """× 51.68 52.60
✓ 54.75 54.93"""
TABLE10 = """Dense RigL MESTg GraNetg
37.84 40.04 38.33 38.46"""
TABLE11 = """Top-images 77.80 77.88 78.33 78.21
Threshold-0.7 72.95 72.81 73.23 73.58
Matched-frequency 64.62 64.23 64.14 64.60
Avg. accuracy 71.79 71.64 71.90 72.13"""
TABLE12 = """clean pixAcc (↑) 85.65 85.63 85.66
clean mIoU (↑) 46.34 46.69 47.10
robustness pixAcc (↑) 76.80 77.30 77.39
robustness mIoU (↑) 22.60 22.73 23.09"""

FAMILY = {"Dense": "dense", "dense": "dense", "SET": "set", "RigL": "set", "MESTr": "mest", "MESTg": "mest",
          "GraNetr": "granet", "GraNetg": "granet"}
SPARSITIES = (0.7, 0.6, 0.5, 0.4, 0.3)
APPENDIX = Path(__file__).resolve().parents[3] / "shared" / "spec" / "paper" / "dst-robustness-appendix.txt"


def numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"(?<![\w.-])\d+\.\d+|(?<![\w.])\d+(?=%)", text)]


def parse_flops(scales, text) -> dict:
    """{family: {sparsity: (training, inference, params)}} from Table 4-6 rows (18 columns) or Table 7 rows."""
    table = {}
    for line in text.strip().splitlines():
        family = FAMILY[re.match(r"[A-Za-z]+", line).group()]
        cells = line.split()[-18:] if "→" not in line and line.count(" ") > 8 else None
        if cells is None:  # Table 7: one sparsity, 0.1 for the sparse rows
            values = numbers(line)[:3]
            table[family] = {0.0 if family == "dense" else 0.1: tuple(v * s for v, s in zip(values, scales))}
            continue
        columns = [cells[i * 6:(i + 1) * 6] for i in range(3)]  # training, inference, params; S 0.7..0.3, 0.0
        if family == "dense":
            table[family] = {0.0: tuple(float(c[5]) * s for c, s in zip(columns, scales))}
        else:
            table[family] = {sp: tuple(float(c[i]) * s for c, s in zip(columns, scales))
                             for i, sp in enumerate(SPARSITIES)}
    return table


def test_flops_tables_are_the_appendix_rows():
    for key, (scales, text) in FLOPS_ROWS.items():
        expected = parse_flops(scales, text)
        ours = {family: rows for family, rows in paper.FLOPS[key].items()}
        assert set(ours) == set(expected), key
        for family, rows in expected.items():
            assert set(ours[family]) == set(rows), (key, family)
            for sparsity, values in rows.items():
                assert ours[family][sparsity] == pytest.approx(values, rel=1e-9), (key, family, sparsity)


def test_analysis_tables_are_the_appendix_rows():
    first, second = TABLE8.splitlines()
    dense = numbers(first)[:2]
    assert paper_analyses.TABLE8_DENSE == pytest.approx(tuple(dense))
    for line, values in ((first, numbers(first)[3:]), (second, numbers(second)[1:])):
        sparsity = numbers(line)[2 if line is first else 0] / 100
        pairs = [tuple(values[i:i + 2]) for i in range(0, 8, 2)]
        assert [paper_analyses.TABLE8[sparsity][k] for k in ("set", "rigl", "chts_csti", "chts_bsw")] == pairs
    rows9 = [numbers(line) for line in TABLE9.splitlines()]
    assert [[paper_analyses.TABLE9[k][a] for a in ("dense", "set")] for k in ("no_mixup", "mixup")] == rows9
    algorithms = ("dense", "rigl", "mest_g", "granet_g")
    assert [paper_analyses.TABLE10["imagenet-r"][a] for a in algorithms] == numbers(TABLE10.splitlines()[1])
    keys = ("imagenet-v2-top-images", "imagenet-v2-threshold0.7", "imagenet-v2-matched-frequency", "average")
    for key, line in zip(keys, TABLE11.splitlines()):
        assert [paper_analyses.TABLE11[key][a] for a in algorithms] == numbers(line.split(" ", 1)[1]
                                                                               if "-" in line else line)
    for line in TABLE12.splitlines():
        heading = line.split(" (")[0]
        assert [seg_report.PAPER_TABLE12[k][heading] for k in ("dense", "set_s0.2", "set_s0.1")] == numbers(line)


@pytest.mark.skipif(not APPENDIX.is_file(), reason="the paper's appendix text is not on this machine")
def test_copied_rows_occur_in_the_appendix_text():
    text = APPENDIX.read_text()
    rows = [line for _, block in FLOPS_ROWS.values() for line in block.strip().splitlines()]
    rows += [line for block in (TABLE8, TABLE9, TABLE10, TABLE11, TABLE12) for line in block.splitlines()]
    assert [row for row in rows if row not in text] == []


def printed_paper_numbers(text: str) -> list[float]:
    """Numbers printed as "(paper X ...)" in a cell, and every number of a column headed "... paper"."""
    found = [float(v) for v in re.findall(r"paper (?:best DST )?([0-9][0-9.e+]*)", text)]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in text.splitlines() if line.startswith("|")]
    columns = [i for i, head in enumerate(rows[0]) if head.endswith(" paper")] if rows else []
    return found + [float(row[i]) for row in rows[2:] for i in columns]


def test_reports_cite_the_table_of_every_number_they_print(tmp_path, monkeypatch):
    from dscr.analysis import comparisons
    from dscr.cli import report as report_cli

    outputs = {}
    rows = [{"scenario": s, "suite": u} for s, u in paper.TABLE2]
    table = table2.build(tmp_path / "none", rows, ["dense", "rigl", "mest_g", "granet_g", "best_dst"])
    notes = [paper.cite("table2")]  # the note `dscr report table2` adds
    outputs["table2"] = table2.render(table, ["dense", "rigl", "mest_g", "granet_g"], tmp_path, notes=notes)[0]
    outputs["table8"] = comparisons.fmnist_table([], tmp_path, [])[0]
    outputs["table9"] = comparisons.mixup_table([], tmp_path, [])[0]
    outputs["tables10-11"] = comparisons.ood_table({}, ["dense", "rigl", "mest_g", "granet_g"], tmp_path, [])[0]
    monkeypatch.chdir(tmp_path)
    report_cli.table12(tmp_path)
    outputs["table12"] = tmp_path / "table12.md"
    fake = SimpleNamespace(training_flops=1.0, inference_flops=1.0, params=1.0)  # the paper's column is what counts
    monkeypatch.setattr("dscr.cli.flops.build", lambda args: ({}, fake))
    report_cli.flops_tables(tmp_path)
    outputs["tables4-7"] = tmp_path / "flops.md"

    published = {
        "table2": [v for cell in paper.TABLE2.values() for v in cell.values()],
        "tables4-7": [v * s for scales, text in FLOPS_ROWS.values() for line in text.strip().splitlines()
                      for v, s in zip(_flops_values(line), _cycle(scales, line))],
        "table8": numbers(TABLE8), "table9": numbers(TABLE9), "tables10-11": numbers(TABLE10 + "\n" + TABLE11),
        "table12": numbers(TABLE12),
    }
    for key, path in outputs.items():
        text = path.read_text()
        assert "SPEC" not in text
        assert paper.cite(key) in text, key
        printed = printed_paper_numbers(text)
        assert printed, key
        for value in printed:
            assert any(value == pytest.approx(p, rel=5e-3) for p in published[key]), (key, value)
    # the JSON of the analyses holds the same numbers
    assert json.loads(outputs["table9"].with_suffix(".json").read_text())[0]["paper"] == 51.68


def _flops_values(line: str) -> list[float]:
    return [float(v) for v in line.replace("→", " ").split() if re.fullmatch(r"\d+\.\d+", v)]


def _cycle(scales, line):
    """The scale of each number of a Tables 4-7 row, in the row's order."""
    values = _flops_values(line)
    if "→" in line or len(values) <= 4:  # Table 7, or a dense row of Tables 4-6: one value per column
        return list(scales) + [1.0] * (len(values) - 3)
    per = len(values) // 3
    return [s for s in scales for _ in range(per)]
