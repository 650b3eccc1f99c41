"""End-to-end training on a real CIFAR-10 subset: outputs, exact resume, DDP, one-line errors."""

import json
import os
import subprocess
import sys

import pytest
import torch

from dscr.config import load_config
from dscr.engine.checkpoint import load_checkpoint
from tasks.classification import train
from tasks.classification.config import TrainConfig

TINY = ["epochs=3", "batch_size=32", "data.train_subset=256", "data.test_subset=128", "model.kwargs={width: 8}",
        "data.eval_batch_size=64", "threads=1"]


def tiny_config(repo_root, data_root, out_dir, *extra):
    return load_config(TrainConfig, repo_root / "tasks/classification/configs/smoke.yaml",
                       TINY + [f"data.root={data_root}", f"out_dir={out_dir}", *extra])


def test_run_writes_config_checkpoint_metrics_and_dvclive(repo_root, cifar10_root, tmp_path):
    metrics = train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=a"))
    run = tmp_path / "a"
    assert (run / "config.yaml").is_file() and (run / "dvclive").is_dir()
    saved = json.loads((run / "metrics.json").read_text())
    assert saved["test_accuracy"] == metrics["test_accuracy"] and len(saved["history"]) == 3
    assert saved["images_per_s"] > 0 and saved["wall_time_s"] > 0
    state = load_checkpoint(run / "checkpoints/last.pt")
    assert {"model", "optimizer", "lr_schedule", "sparsifier", "rng", "epoch", "step"} <= set(state)
    assert state["epoch"] == 3 and state["step"] == 3 * (256 // 32)
    assert not list(run.rglob("*.tmp"))


def _rss_bytes(field: str) -> int:
    line = next(x for x in open("/proc/self/status") if x.startswith(field + ":"))
    return int(line.split()[1]) * 1024


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc peak-RSS reset")
def test_peak_memory_is_the_runs_own(repo_root, cifar10_root, tmp_path):
    """Runs in one process (as `dscr demo` trains them) each report their own peak, not the process's."""
    rss_before = _rss_bytes("VmRSS")
    big = torch.ones(400 * 2**20 // 4)  # 400 MiB, touched, then freed: the process's peak stays above it
    big += 1
    process_peak = _rss_bytes("VmHWM")
    del big
    assert process_peak > rss_before + 390 * 2**20
    metrics = train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=m"))
    assert metrics["peak_memory_kind"] == "cpu_peak_rss"
    assert rss_before <= metrics["peak_memory_bytes"] < process_peak - 300 * 2**20
    assert metrics["peak_memory_bytes"] == max(r["peak_memory_bytes"] for r in metrics["history"])
    assert json.loads((tmp_path / "m/metrics.json").read_text())["peak_memory_bytes"] == metrics["peak_memory_bytes"]


def computed(history: list[dict]) -> list[dict]:
    """A run's epoch records without what the machine measured (time, memory): what training computed."""
    return [{k: v for k, v in r.items() if k not in {"train_time_s", "peak_memory_bytes"}} for r in history]


def test_resumed_run_equals_uninterrupted(repo_root, cifar10_root, tmp_path):
    full = train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=full"))
    halted = train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=cut", "halt_after_epochs=1"))
    assert halted == {"halted_at_epoch": 1}
    resumed = train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=cut", "resume=true"))
    a = load_checkpoint(tmp_path / "full/checkpoints/last.pt")["model"]
    b = load_checkpoint(tmp_path / "cut/checkpoints/last.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert computed(full["history"]) == computed(resumed["history"])
    # the dvclive log of the resumed run has one row per epoch, the uninterrupted run's rows
    tsv = lambda run: (tmp_path / run / "dvclive/plots/metrics/test_accuracy.tsv").read_text()  # noqa: E731
    assert [line.split("\t")[0] for line in tsv("cut").splitlines()[1:]] == ["0", "1", "2"]
    assert tsv("cut") == tsv("full")


def test_resumed_mixup_run_equals_uninterrupted(repo_root, cifar10_root, tmp_path):
    """Mixup draws its mixing weight from torch's global RNG: a resumed run equals an uninterrupted one only
    if the checkpoint restores every RNG state the run draws from."""
    extra = ["epochs=2", "mixup_alpha=0.4"]
    full = train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=full", *extra))
    train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=cut", "halt_after_epochs=1", *extra))
    resumed = train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=cut", "resume=true", *extra))
    a = load_checkpoint(tmp_path / "full/checkpoints/last.pt")["model"]
    b = load_checkpoint(tmp_path / "cut/checkpoints/last.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert [r["train_loss"] for r in full["history"]] == [r["train_loss"] for r in resumed["history"]]


def test_deit_batch_recipe_trains_and_resumes_exactly(repo_root, cifar10_root, tmp_path):
    recipe = ["epochs=2", "data.random_erasing=0.25", "mixup_alpha=0.8", "cutmix_alpha=1.0", "label_smoothing=0.1",
              "optim.filter_bias_and_bn=true", "lr_schedule.warmup_epochs=1", "lr_schedule.warmup_start=0.002"]
    full = train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=full", *recipe))
    train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=cut", "halt_after_epochs=1", *recipe))
    resumed = train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=cut", "resume=true", *recipe))
    a = load_checkpoint(tmp_path / "full/checkpoints/last.pt")["model"]
    b = load_checkpoint(tmp_path / "cut/checkpoints/last.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a) and computed(full["history"]) == computed(resumed["history"])


def _identical_ranks(out) -> None:
    r0, r1 = (torch.load(out / f"rank{r}.pt") for r in range(2))
    assert all(torch.equal(r0["weights"][k], r1["weights"][k]) for k in r0["weights"])
    assert r0["masks"].keys() == r1["masks"].keys() and all(torch.equal(r0["masks"][k], r1["masks"][k])
                                                            for k in r0["masks"])
    assert (out / "ddp/metrics.json").is_file()


def test_ddp_two_processes_end_with_identical_weights(repo_root, cifar10_root, tmp_path):
    worker = repo_root / "tests/classification/ddp_worker.py"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517",
           str(worker), str(repo_root), str(cifar10_root), str(tmp_path)]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    _identical_ranks(tmp_path)


def test_two_nodes_with_c10d_rendezvous_end_with_identical_weights_and_masks(repo_root, cifar10_root, tmp_path):
    """Two torchrun "nodes" of one CPU process each meet through the c10d rendezvous (as on two machines) and
    train a SET run (random regrowth) under DDP: every rank ends with the same weights and masks."""
    worker = repo_root / "tests/classification/ddp_worker.py"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc_per_node", "1",
           "--rdzv_backend", "c10d", "--rdzv_endpoint", "127.0.0.1:29533", "--rdzv_id", "dscr-two-nodes",
           str(worker), str(repo_root), str(cifar10_root), str(tmp_path), "set"]
    nodes = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(2)]
    logs = [node.communicate(timeout=300)[0] for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0], "\n".join(log[-2000:] for log in logs)
    _identical_ranks(tmp_path)
    masks = torch.load(tmp_path / "rank0.pt")["masks"]
    assert 0.4 < sum(int(m.sum()) for m in masks.values()) / sum(m.numel() for m in masks.values()) < 0.6


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "dscr", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


@pytest.mark.parametrize("override, message", [
    ("optim.lrr=0.1", "unknown config key 'optim.lrr'; allowed: dampening, filter_bias_and_bn, implementation, lr,"),
    ("epochs=ten", "config key 'epochs' must be an integer, got 'ten'"),
    ("model.name=vgg19", "config key 'model.name' is 'vgg19'; allowed: deit_base,"),
    ("data.root=/nonexistent", "data missing: /nonexistent/cifar10/train_images.npy not found"),
    ("dst.sparsity=1.2", "sparsity: 1.2 is impossible"),
])
def test_bad_input_gives_one_line_and_exit_2(repo_root, tmp_path, override, message):
    result = run_cli("train", "--config", str(repo_root / "tasks/classification/configs/smoke.yaml"), override,
                     f"out_dir={tmp_path}", cwd=repo_root)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr


def test_unknown_dataset_for_data_command(repo_root):
    result = run_cli("data", "mnist", cwd=repo_root)
    assert result.returncode == 2 and "unknown dataset 'mnist'; allowed: cifar10" in result.stderr


def test_resume_ignores_a_checkpoint_of_other_settings(repo_root, cifar10_root, tmp_path, capsys):
    train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=r", "epochs=1"))
    first = load_checkpoint(tmp_path / "r/checkpoints/last.pt")["model"]
    # Same run folder, another learning rate: the old checkpoint must not be taken as this run's progress.
    metrics = train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=r", "epochs=1", "optim.lr=0.01",
                                     "resume=true"))
    assert "trained by another experiment (changed: optim.lr): starting afresh" in capsys.readouterr().out
    second = load_checkpoint(tmp_path / "r/checkpoints/last.pt")["model"]
    assert not torch.equal(first["net.0.weight"], second["net.0.weight"]) and len(metrics["history"]) == 1


def test_resume_ignores_a_checkpoint_of_other_code(repo_root, cifar10_root, tmp_path, capsys):
    from dscr.engine.checkpoint import save_checkpoint

    train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=c", "halt_after_epochs=1"))
    path = tmp_path / "c/checkpoints/last.pt"
    state = load_checkpoint(path)
    assert "dscr/dst/base.py" in state["fingerprint"]["code"]
    state["fingerprint"]["code"]["dscr/dst/base.py"] = "0" * 64  # as if trained by another version of dst
    save_checkpoint(path, state)
    metrics = train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=c", "resume=true"))
    assert "(changed: dscr/dst/base.py): starting afresh" in capsys.readouterr().out
    assert [r["epoch"] for r in metrics["history"]] == [1, 2, 3]  # trained from epoch 0, not continued


def test_a_finished_run_is_not_overwritten_without_being_asked(repo_root, cifar10_root, tmp_path):
    train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=f", "epochs=1"))
    before = (tmp_path / "f/checkpoints/last.pt").read_bytes()
    smoke = str(repo_root / "tasks/classification/configs/smoke.yaml")
    args = ["train", "--config", smoke, *TINY, "epochs=1", f"data.root={cifar10_root}", f"out_dir={tmp_path}",
            "name=f"]
    result = run_cli(*args, cwd=repo_root)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"dscr train: error: {tmp_path / 'f'} already holds a finished run; pass resume=true to keep it (an "
        "unfinished run of the same experiment continues), or overwrite=true to train it again"]
    assert (tmp_path / "f/checkpoints/last.pt").read_bytes() == before
    (tmp_path / "f/robustness").mkdir()
    (tmp_path / "f/robustness/cifar10-c.json").write_text("{}")  # a result of the old model
    assert run_cli(*args, "overwrite=true", cwd=repo_root).returncode == 0
    assert (tmp_path / "f/checkpoints/last.pt").read_bytes() != before
    assert not (tmp_path / "f/robustness").exists()


def test_an_unfinished_run_is_not_restarted_without_being_asked(repo_root, cifar10_root, tmp_path):
    from dscr.config import DscrError

    train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=u", "halt_after_epochs=1"))
    with pytest.raises(DscrError, match="already holds an unfinished run"):
        train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=u"))


def test_a_work_folder_run_is_published_into_the_run_folder(repo_root, cifar10_root, tmp_path):
    work = tmp_path / "work" / "w"
    train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=w", f"work_dir={work}", "halt_after_epochs=1"))
    assert (work / "checkpoints/last.pt").is_file() and not (tmp_path / "w").exists()  # nothing published yet
    metrics = train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=w", f"work_dir={work}",
                                     "resume=true"))
    run = tmp_path / "w"
    assert [r["epoch"] for r in metrics["history"]] == [1, 2, 3]
    assert load_checkpoint(run / "checkpoints/last.pt")["epoch"] == 3
    assert {"config.yaml", "metrics.json", "dvclive"} <= {p.name for p in run.iterdir()}


def test_compiled_training_keeps_the_masks_and_trains_like_eager(repo_root, cifar10_root, tmp_path, monkeypatch):
    """compile=true: the sparsifier's in-place mask multiply and moment resets reach the compiled forward
    (parameters are graph inputs). aot_eager traces forward and backward as inductor does, without the C++
    build that would take minutes on a CPU; benchmarks/gpu_suite.py times inductor itself."""
    real_compile = torch.compile
    monkeypatch.setattr(torch, "compile", lambda model, **kw: real_compile(model, backend="aot_eager", **kw))
    common = ["dst.algorithm=rigl", "dst.update_interval=2", "epochs=1", "data.train_subset=160"]
    eager = train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=eager", *common))
    compiled = train.main(tiny_config(repo_root, cifar10_root, tmp_path, "name=compiled", "compile=true", *common))
    a = load_checkpoint(tmp_path / "eager/checkpoints/last.pt")
    b = load_checkpoint(tmp_path / "compiled/checkpoints/last.pt")
    assert len(b["sparsifier"]["update_log"]) > 2 and compiled["density"] == eager["density"]
    for name, mask in b["sparsifier"]["masks"].items():
        assert torch.equal(mask, a["sparsifier"]["masks"][name])
        assert not b["model"][name][~mask].any()
    for key, value in a["model"].items():
        torch.testing.assert_close(b["model"][key], value, rtol=1e-3, atol=1e-4)


def test_channels_last_changes_the_layout_not_the_sparse_training(repo_root, cifar10_root, tmp_path):
    """NHWC on the CPU (for speed) runs the same DST: every mask decision (magnitude top-k, random regrowth)
    follows the weights' logical order, not their memory layout. With lr = 0 the weights change only through
    the masks, so NCHW and NHWC runs must agree exactly; with training, float rounding alone differs."""
    common = ["dst.algorithm=set", "dst.update_interval=2", "epochs=1", "data.train_subset=192"]

    def frozen(*extra):  # lr = 0 is refused on load (no user wants it); set after validation
        cfg = tiny_config(repo_root, cifar10_root, tmp_path, *common, *extra)
        cfg.optim.lr = 0.0
        return cfg

    train.fit(frozen("name=nchw", "channels_last=false"))
    nhwc = train.fit(frozen("name=nhwc", "channels_last=true"))[0]
    conv = next(m.weight for m in nhwc.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    a = load_checkpoint(tmp_path / "nchw/checkpoints/last.pt")
    b = load_checkpoint(tmp_path / "nhwc/checkpoints/last.pt")
    assert len(b["sparsifier"]["update_log"]) >= 3 and b["sparsifier"]["update_log"][-1]["grown"] > 0
    for name, mask in a["sparsifier"]["masks"].items():
        assert torch.equal(mask, b["sparsifier"]["masks"][name]), name
        assert torch.equal(a["model"][name], b["model"][name]), name
