"""A run's fingerprint: which config keys and source files make a checkpoint another experiment's."""

from dscr.engine.run import code_hashes, config_changes, fingerprint, fingerprint_changes


def test_nested_name_keys_count_as_changes():
    saved = {"name": "a", "model": {"name": "vgg16"}, "data": {"name": "cifar10"}, "optim": {"name": "sgd"},
             "lr_schedule": {"name": "cosine"}}
    current = {"name": "b", "model": {"name": "resnet34"}, "data": {"name": "cifar100"}, "optim": {"name": "adamw"},
               "lr_schedule": {"name": "step"}}
    # The run's own folder name says where it is written, not what it computes; every nested name does.
    assert config_changes(saved, current) == ["data.name", "lr_schedule.name", "model.name", "optim.name"]


def test_run_control_keys_are_matched_by_their_full_path():
    saved = {"threads": 1, "data": {"num_workers": 4, "root": "a", "train_subset": 0}, "dst": {"threads": 1}}
    current = {"threads": 2, "data": {"num_workers": 0, "root": "b", "train_subset": 100}, "dst": {"threads": 2}}
    assert config_changes(saved, current) == ["data.train_subset", "dst.threads"]


def test_added_and_removed_keys_are_changes():
    assert config_changes({"a": 1}, {"a": 1, "b": None}) == ["b"]
    assert config_changes({"a": 1, "b": {"c": 2}}, {"a": 1}) == ["b.c"]


def test_code_hashes_cover_every_file_of_a_package_by_import_path(repo_root):
    import hashlib

    hashes = code_hashes(["dscr.dst", "dscr.config"])
    files = sorted(p.relative_to(repo_root / "src").as_posix() for p in (repo_root / "src/dscr/dst").glob("*.py"))
    assert sorted(hashes) == sorted(files + ["dscr/config.py"])
    expected = hashlib.sha256((repo_root / "src/dscr/dst/masks.py").read_bytes()).hexdigest()
    assert hashes["dscr/dst/masks.py"] == expected


def test_fingerprint_changes_name_config_keys_then_files():
    a = fingerprint({"optim": {"lr": 0.1}}, ["dscr.config"])
    b = {"config": {"optim": {"lr": 0.2}}, "code": {**a["code"], "dscr/config.py": "x", "dscr/new.py": "y"}}
    assert fingerprint_changes(a, b) == ["optim.lr", "dscr/config.py", "dscr/new.py"]
    assert fingerprint_changes(a, a) == []
    assert fingerprint_changes(None, a) == ["(a checkpoint without a fingerprint)"]
