"""VOC-C evaluation: metric arithmetic, the JSON record, and corrupted images actually reaching the model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from dscr import corrupt
from tasks.segmentation import evaluate
from tasks.segmentation.evaluate import ConfusionMatrix, evaluate_run


def test_confusion_matrix_scores_by_hand():
    cm = ConfusionMatrix(num_classes=3)
    target = torch.tensor([[0, 0, 1, 1], [2, 2, 255, 0]])
    pred = torch.tensor([[0, 1, 1, 1], [2, 0, 2, 0]])
    cm.update(pred, target)
    scores = cm.scores()
    # 7 labelled pixels, 5 correct; IoU: class0 2/(3+3-2)=0.5, class1 2/(2+3-2)=2/3, class2 1/(2+1-1)=0.5
    assert scores["pixel_accuracy"] == pytest.approx(100 * 5 / 7)
    assert scores["miou"] == pytest.approx(100 * (0.5 + 2 / 3 + 0.5) / 3)
    absent = ConfusionMatrix(num_classes=4)  # class 3 never labelled nor predicted: not averaged
    absent.update(pred, target)
    assert absent.scores()["miou"] == pytest.approx(scores["miou"])


def test_evaluation_writes_the_record_and_matches_mmseg(smoke_run):
    run_dir = Path(smoke_run.work_dir)
    record = evaluate_run(run_dir, "voc-c", ["gaussian_noise", "contrast"], [1, 5], device="cpu")
    path = run_dir / "robustness" / "voc-c.only-gaussian_noise+contrast.sev-1+5.json"
    assert json.loads(path.read_text()) == json.loads(json.dumps(record))
    assert set(record["corruptions"]) == {"gaussian_noise", "contrast"}
    assert set(record["corruptions"]["contrast"]) == {"1", "5"}
    cells = [s for by_sev in record["corruptions"].values() for s in by_sev.values()]
    for key in ("pixel_accuracy", "miou"):
        assert record["robustness"][key] == pytest.approx(np.mean([c[key] for c in cells]))
        assert 0.0 <= record["clean"][key] <= 100.0
    mmseg_metrics = smoke_run.val()  # mmseg's IoUMetric on the same val images (rounded to 0.01)
    assert record["clean"]["pixel_accuracy"] == pytest.approx(mmseg_metrics["aAcc"], abs=0.006)
    assert record["clean"]["miou"] == pytest.approx(mmseg_metrics["mIoU"], abs=0.006)


def test_corrupted_images_reach_the_model(smoke_run, monkeypatch):
    seen = []
    original = evaluate._predict

    def spy(model, results, rest):
        seen.append(results["img"].copy())
        return original(model, results, rest)

    monkeypatch.setattr(evaluate, "_predict", spy)
    evaluate_run(smoke_run.work_dir, "voc-c", ["saturate"], [5], max_images=1, seed=3, device="cpu")
    clean_bgr, corrupted_bgr = seen
    rgb = torch.from_numpy(clean_bgr[..., ::-1].copy()).permute(2, 0, 1)[None]
    expected = corrupt.get_suite("voc-c").apply("saturate", rgb, 5, corrupt.batch_generator(3, "saturate", 5, 0))
    # BGR in the pipeline, RGB for the corruption: a channel mix-up would change saturate's output
    assert np.array_equal(corrupted_bgr, expected[0].permute(1, 2, 0).numpy()[..., ::-1])
    assert not np.array_equal(corrupted_bgr, clean_bgr)


def test_unknown_corruption_is_a_user_error(smoke_run):
    from dscr.config import DscrError

    with pytest.raises(DscrError, match="allowed: gaussian_noise"):
        evaluate_run(smoke_run.work_dir, "voc-c", ["gausian_noise"], [1], device="cpu")


def test_random_corruptions_differ_per_image(smoke_run, monkeypatch):
    """Each val image gets its own draw of a random corruption (seeded by its index), not one shared pattern."""
    indices = []
    original = evaluate._corrupt_bgr

    def spy(suite, name, severity, image_bgr, index, seed, device):
        indices.append(index)
        return original(suite, name, severity, image_bgr, index, seed, device)

    monkeypatch.setattr(evaluate, "_corrupt_bgr", spy)
    evaluate_run(smoke_run.work_dir, "voc-c", ["gaussian_noise"], [3], max_images=2, seed=0, device="cpu")
    assert indices == [0, 1]
    # the same picture at two positions gets two different noise patterns; at one position, the same one
    suite = corrupt.get_suite("voc-c")
    image = np.full((16, 16, 3), 128, dtype=np.uint8)
    noisy = [original(suite, "gaussian_noise", 3, image, i, 0, "cpu") for i in (0, 1, 0)]
    assert not np.array_equal(noisy[0], noisy[1]) and np.array_equal(noisy[0], noisy[2])
