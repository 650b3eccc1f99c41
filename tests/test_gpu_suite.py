"""benchmarks/gpu_suite.py --quick on the CPU: every section runs and prints its figures, and every printed ratio
is the quotient of the printed figures (slow: the suite trains a dozen tiny runs)."""

from __future__ import annotations

import re
import sys

import pytest

NUMBER = r"([0-9.]+)"


@pytest.mark.slow
def test_quick_suite_prints_every_figure_with_consistent_ratios(repo_root, cifar10_root, capsys):
    sys.path.insert(0, str(repo_root / "benchmarks"))
    import gpu_suite

    assert gpu_suite.main(["--quick", "--device", "cpu", "--data-root", str(cifar10_root)]) == 0
    out = capsys.readouterr().out

    def figure(label: str) -> float:
        match = re.search(re.escape(label) + r"\s+" + NUMBER, out)
        assert match, f"'{label}' missing from:\n{out}"
        return float(match.group(1))

    for title in ("1. CIFAR-10 training", "2. ImageNet JPEG pipeline", "3. DST step time at ΔT",
                  "4. CIFAR-10-C on the fly", "5. optimizer and compile"):
        assert f"== {title}" in out and re.search(re.escape(title) + r": \d+ s, peak memory [0-9.]+ GiB", out)
    ours, ceiling, classic = (figure(x) for x in ("ours (fit(): device uint8, bf16)", "compute-only ceiling",
                                                   "classic fp32 DataLoader + PIL"))
    assert figure("ours / ceiling") == pytest.approx(ours / ceiling, abs=0.5 / ceiling + 2e-3)
    assert figure("ours / classic") == pytest.approx(ours / classic, abs=0.5 / classic + 2e-2)
    device, synthetic = figure("device decode + crop (ours)"), figure("synthetic-input ceiling")
    assert figure("PIL workers (fallback)") > 0 and figure("PIL fallback / ceiling") > 0
    jpeg_ratio = float(re.findall(r"ours / ceiling " + NUMBER, out)[1])  # the second section's
    assert jpeg_ratio == pytest.approx(device / synthetic, abs=0.5 / synthetic + 2e-3)
    for algorithm in ("set", "rigl", "mest_g", "granet_g"):
        assert re.search(rf"^{algorithm}\s+[0-9.]+x dense\s+target <= 1\.0[36]x", out, re.M), algorithm
    cells = re.search(r"(\d+) cells \(corruptions x severities\) x (\d+) images: on the fly ([0-9.]+) s, same count "
                      r"clean ([0-9.]+) s: ([0-9.]+)x", out)
    assert cells and int(cells[1]) == 3 * 5
    assert float(cells[5]) == pytest.approx(float(cells[3]) / float(cells[4]), rel=0.02)
    inference = figure("model inference")
    for corruption in gpu_suite.QUICK_CORRUPTIONS:
        rate = re.search(rf"^  {corruption}\s+([0-9]+)\s+([0-9.]+)x inference", out, re.M)
        assert rate and float(rate[2]) == pytest.approx(float(rate[1]) / inference, rel=0.02, abs=0.01)
    assert figure("foreach") > 0 and figure("fused") > 0
    assert re.search(r"^total \d+ s$", out, re.M)
