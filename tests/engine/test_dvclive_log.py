"""The dvclive log holds one row per epoch after a resume, whatever the previous run logged before dying."""

from __future__ import annotations

from dscr.engine.live import log_epoch, open_live


def _record(epoch: int) -> dict:
    return {"epoch": epoch, "step": 10 * epoch, "train_loss": 1.0 / epoch, "test_accuracy": 10.0 * epoch}


def _rows(live_dir, metric: str = "train_loss") -> list[tuple[int, float]]:
    lines = (live_dir / "plots" / "metrics" / f"{metric}.tsv").read_text().splitlines()[1:]
    return [(int(step), float(value)) for step, value in (line.split("\t") for line in lines)]


def test_resume_after_one_epoch_logs_each_epoch_once(tmp_path):
    live_dir = tmp_path / "dvclive"
    live = open_live(live_dir, [])
    log_epoch(live, _record(1), live_dir)
    live.end()
    history = [_record(1)]  # the checkpoint saved after epoch 1; the run is killed
    live = open_live(live_dir, history)
    for epoch in (2, 3):
        log_epoch(live, _record(epoch), live_dir)
    live.end()
    assert _rows(live_dir) == [(0, 1.0), (1, 0.5), (2, 1 / 3)]
    assert _rows(live_dir, "test_accuracy") == [(0, 10.0), (1, 20.0), (2, 30.0)]


def test_epochs_logged_after_the_last_checkpoint_are_not_logged_twice(tmp_path):
    live_dir = tmp_path / "dvclive"
    live = open_live(live_dir, [])
    for epoch in (1, 2):  # epoch 2 is logged, then the run dies before its checkpoint is saved
        log_epoch(live, _record(epoch), live_dir)
    live = open_live(live_dir, [_record(1)])  # the checkpoint knows epoch 1 only: epoch 2 is redone
    for epoch in (2, 3):
        log_epoch(live, _record(epoch), live_dir)
    live.end()
    assert [step for step, _ in _rows(live_dir)] == [0, 1, 2]
