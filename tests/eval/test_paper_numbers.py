"""Every published number the reports print, checked against the paper's own text.

`APPENDIX` holds the table lines of the paper's appendix (Wu et al., ICLR 2025), copied verbatim from
`spec/paper/dst-robustness-appendix.txt` (when that file is on the machine, the test checks the copy too); the
test parses them on its own and compares with what `dscr.report` prints. Table 2's published numbers appear
in the main text only, as SPEC §4 quotes them (`MAIN_TEXT`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dscr.report.paper import FLOPS, FLOPS_FAMILY, TABLE2
from dscr.report.paper_analyses import TABLE8, TABLE8_DENSE, TABLE9, TABLE10, TABLE11
from tasks.segmentation.report import PAPER_TABLE12

APPENDIX = """\
Table 4: Training FLOPs (TrFLOPs, ×1016), Inference FLOPs (InFLOPs, ×109), and the number
TrFLOPs (×1016) InFLOPs (×108) Param (×106)
Dense - - - - - 1.51 - - - - - 6.30 - - - - - 15.25
SET / RigL 0.46 0.61 0.76 0.91 1.06 - 1.92 2.55 3.17 3.80 4.42 - 4.95 6.43 7.89 9.37 10.81 -
MESTr / MESTg 0.51 0.67 0.84 1.00 1.17 - 1.92 2.55 3.17 3.80 4.42 - 4.95 6.43 7.89 9.37 10.81 -
GraNetr / GraNetg 0.68 0.73 0.85 0.97 1.09 - 1.92 2.55 3.17 3.80 4.42 - 4.95 6.43 7.89 9.37 10.81 -
Table 5: Training FLOPs (TrFLOPs, ×1016), Inference FLOPs (InFLOPs, ×109), and the number
TrFLOPs (×1016) InFLOPs (×109) Param (×106)
dense - - - - - 5.57 - - - - - 2.32 - - - - - 21.33
SET / RigL 1.68 2.24 2.79 3.35 3.90 - 0.67 0.93 1.18 1.40 1.62 - 6.45 8.57 10.70 12.82 14.95 -
MESTr / MESTg 1.85 2.46 3.07 3.68 4.29 - 0.67 0.93 1.18 1.40 1.62 - 6.45 8.57 10.70 12.82 14.95 -
GraNetr / GraNetg 2.51 2.68 3.13 3.63 4.02 - 0.67 0.93 1.18 1.40 1.62 - 6.45 8.57 10.70 12.82 14.95 -
Table 6: Training FLOPs (TrFLOPs, ×1015), Inference FLOPs (InFLOPs, ×109), and the number
TrFLOPs (×1015) InFLOPs (×109) Param (×106)
Dense - - - - - 1.98 - - - - - 6.63 - - - - - 4.26
SET/ RigL 0.66 0.85 1.04 1.23 1.42 - 2.21 2.85 3.48 4.12 4.75 - 1.89 2.29 2.68 2.68 3.08 -
MESTr / MESTg 0.72 0.92 1.13 1.34 1.55 - 2.21 2.85 3.48 4.12 4.75 - 1.89 2.29 2.68 2.68 3.08 -
GraNetr / GraNetg 0.89 1.02 1.15 1.32 1.46 - 2.21 2.85 3.48 4.12 4.75 - 1.89 2.29 2.68 2.68 3.08 -
Table 7: Training FLOPs (TrFLOPs, ×1018), Inference FLOPs (InFLOPs, ×109), and the number
TrFLOPs (×1018) InFLOPs (×109) Param (×106) Init density → Final density
Dense 2.28 8.21 25.56 1.0
RigL 2.17 7.80 23.00 0.9 → 0.9
MESTg 2.18 7.80 23.00 0.92 → 0.9
GraNetg 2.20 7.80 23.00 0.95 → 0.9
Table 8: Robustness accuracy (%) of MLP on Fashion MNIST-C.
19.82 ± 0.32 97% 23.44 ± 1.79 25.23 ± 1.39 24.50 ± 1.03 26.64 ± 1.06
95% 25.55 ± 0.32 25.03 ± 1.11 27.38 ± 0.25 27.13 ± 0.33
Table 9: Robustness accuracy
× 51.68 52.60
✓ 54.75 54.93
Table 10: Average classification accu-
Dense RigL MESTg GraNetg
37.84 40.04 38.33 38.46
Table 11: Average robustness accuracy (%) on
Top-images 77.80 77.88 78.33 78.21
Threshold-0.7 72.95 72.81 73.23 73.58
Matched-frequency 64.62 64.23 64.14 64.60
Avg. accuracy 71.79 71.64 71.90 72.13
Table 12: Clean metric (%) on Pascal VOC
clean pixAcc (↑) 85.65 85.63 85.66
clean mIoU (↑) 46.34 46.69 47.10
robustness pixAcc (↑) 76.80 77.30 77.39
robustness mIoU (↑) 22.60 22.73 23.09
"""

MAIN_TEXT = (  # SPEC §4, "Numbers published for comparison (robustness accuracy %)"
    "ImageNet-C R50 dense 38.38, RigL 38.70, MEST_g 38.64, GraNet_g 38.72; ImageNet-C-bar dense 40.38; "
    "ImageNet-3DCC dense 43.62, RigL 44.08; UCF101 3D R50 dense 51.14, best DST 53.57; I3D dense 53.58, best DST 56.30.")

SPARSITIES = (0.7, 0.6, 0.5, 0.4, 0.3, 0.0)  # the column order of Tables 4-6
NUMBER = r"\d+\.\d+"


def section(table: int) -> list[str]:
    lines = APPENDIX.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"Table {table}:"))
    end = next((i for i, line in enumerate(lines) if i > start and line.startswith("Table ")), len(lines))
    return lines[start + 1:end]


def numbers(line: str) -> list[float]:
    return [float(x) for x in re.findall(NUMBER, line)]


def test_the_copies_are_verbatim_where_the_spec_is_on_this_machine():
    spec = Path(__file__).resolve().parents[3] / "shared" / "spec"  # the sibling folder of the checkout
    if not (spec / "paper" / "dst-robustness-appendix.txt").is_file():
        pytest.skip(f"{spec} not on this machine")
    text = (spec / "paper" / "dst-robustness-appendix.txt").read_text()
    for line in APPENDIX.splitlines():
        assert line in text, line
    assert MAIN_TEXT in " ".join((spec / "SPEC.md").read_text().split())


def _flops_table(table: int) -> dict:
    """{family: {sparsity: (training FLOPs, inference FLOPs, params)}} parsed from Table 4, 5 or 6."""
    header, *rows = section(table)
    scales = [10.0 ** int(e) for e in re.findall(r"×10(\d+)", header)]
    parsed = {}
    for row in rows:
        name, cells = re.match(r"^([A-Za-z/ ]+?) ((?:[-\d.]+ ?){18})$", row).groups()
        family = {"dense": "dense", "set": "set", "mestr": "mest", "granetr": "granet"}[
            name.lower().split("/")[0].strip()]
        tokens = cells.split()
        columns = [tokens[0:6], tokens[6:12], tokens[12:18]]
        parsed[family] = {s: tuple(float(col[i]) * scale for col, scale in zip(columns, scales))
                          for i, s in enumerate(SPARSITIES) if columns[0][i] != "-"}
    return parsed


@pytest.mark.parametrize("table, key", [(4, ("vgg16", "cifar10", 160)), (5, ("resnet34", "cifar100", 160)),
                                        (6, ("efficientnet_b0", "tinyimagenet", 100))])
def test_flops_tables_4_to_6(table, key):
    parsed = _flops_table(table)
    ours = FLOPS[key]
    assert set(ours) == set(parsed)
    for family, by_sparsity in parsed.items():
        assert set(ours[family]) == set(by_sparsity), family
        for sparsity, triple in by_sparsity.items():
            assert ours[family][sparsity] == pytest.approx(triple, rel=1e-12), (family, sparsity)


def test_flops_table_7():
    header, *rows = section(7)
    scales = [10.0 ** int(e) for e in re.findall(r"×10(\d+)", header)]
    family = {"Dense": "dense", "RigL": "set", "MESTg": "mest", "GraNetg": "granet"}
    ours = FLOPS[("resnet50", "imagenet", 90)]
    for row in rows:
        name = row.split()[0]
        triple = tuple(v * s for v, s in zip(numbers(row)[:3], scales))
        sparsity = 0.0 if name == "Dense" else round(1 - numbers(row)[-1], 6)
        assert ours[family[name]] == {sparsity: pytest.approx(triple, rel=1e-12)}, name
    assert FLOPS_FAMILY["rigl"] == "set" and FLOPS_FAMILY["mest_g"] == "mest" and FLOPS_FAMILY["granet_g"] == "granet"


def test_table8():
    first, second = section(8)
    dense_mean, dense_std, *rest97 = numbers(first)
    assert TABLE8_DENSE == (dense_mean, dense_std)
    columns = ["set", "rigl", "chts_csti", "chts_bsw"]
    for sparsity, values in ((0.97, rest97), (0.95, numbers(second))):
        assert first.split()[3] == "97%" and second.startswith("95%")
        assert TABLE8[sparsity] == {c: (values[2 * i], values[2 * i + 1]) for i, c in enumerate(columns)}


def test_tables_9_to_11():
    without, with_mixup = section(9)
    assert without.startswith("×") and with_mixup.startswith("✓")
    assert TABLE9 == {"no_mixup": dict(zip(("dense", "set"), numbers(without))),
                      "mixup": dict(zip(("dense", "set"), numbers(with_mixup)))}
    columns = ["dense", "rigl", "mest_g", "granet_g"]
    assert section(10)[0].split() == ["Dense", "RigL", "MESTg", "GraNetg"]
    assert TABLE10 == {"imagenet-r": dict(zip(columns, numbers(section(10)[1])))}
    names = {"Top-images": "imagenet-v2-top-images", "Threshold-0.7": "imagenet-v2-threshold0.7",
             "Matched-frequency": "imagenet-v2-matched-frequency", "Avg.": "average"}
    assert TABLE11 == {names[row.split()[0]]: dict(zip(columns, numbers(row.replace("-0.7", ""))))
                       for row in section(11)}


def test_table12():
    columns = ["dense", "set_s0.2", "set_s0.1"]
    parsed = {}
    for row in section(12):
        metric = row.split(" (")[0]
        for column, value in zip(columns, numbers(row), strict=True):
            parsed.setdefault(column, {})[metric] = value
    assert PAPER_TABLE12 == parsed


def test_table2_numbers_are_the_main_texts():
    def quoted(pattern: str) -> float:
        return float(re.search(pattern + r" (" + NUMBER + ")", MAIN_TEXT).group(1))

    assert TABLE2 == {
        ("imagenet_resnet50", "imagenet-c"): {"dense": quoted("R50 dense"), "rigl": quoted("R50 dense [\\d.]+, RigL"),
                                             "mest_g": quoted("MEST_g"), "granet_g": quoted("GraNet_g")},
        ("imagenet_resnet50", "imagenet-c-bar"): {"dense": quoted("C-bar dense")},
        ("imagenet_resnet50", "imagenet-3dcc"): {"dense": quoted("3DCC dense"), "rigl": quoted("3DCC dense [\\d.]+, RigL")},
        ("ucf101_r3d50", "ucf101-c"): {"dense": quoted("3D R50 dense"), "best_dst": quoted("3D R50 dense [\\d.]+, best DST")},
        ("ucf101_i3d", "ucf101-c"): {"dense": quoted("I3D dense"), "best_dst": quoted("I3D dense [\\d.]+, best DST")},
    }
