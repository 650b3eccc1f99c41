"""The Ray cluster config for A100 machines is what `ray up` accepts (Ray's own validation, offline) and says
what the launch needs: GPUs in the containers, the shared folder for data and unfinished runs."""

from __future__ import annotations

import copy

import pytest
import yaml

pytest.importorskip("ray")


@pytest.fixture()
def config(repo_root):
    return yaml.safe_load((repo_root / "images/ray/aws-a100.yaml").read_text())


def test_ray_accepts_the_a100_cluster(config):
    from ray.autoscaler._private.util import prepare_config, validate_config

    validate_config(prepare_config(copy.deepcopy(config)))


def test_rays_validation_refuses_a_wrong_key(config):
    """The check above can fail: a misspelt field is refused."""
    from ray.autoscaler._private.util import prepare_config, validate_config

    config["available_node_types"]["a100"]["max_worker"] = config["available_node_types"]["a100"].pop("max_workers")
    with pytest.raises(Exception, match="max_worker"):
        validate_config(prepare_config(config))


def test_the_cluster_gives_the_launch_what_it_needs(config):
    gpu = config["available_node_types"]["a100"]
    assert gpu["node_config"]["InstanceType"] == "p4d.24xlarge" and gpu["resources"]["GPU"] == 8
    assert config["available_node_types"]["head"]["resources"].get("GPU", 0) == 0  # no training on the driver
    options = config["docker"]["run_options"]
    assert "--gpus all" in options and "-v /mnt/shared:/mnt/shared" in options
    assert "-e DSCR_RESUME_DIR=/mnt/shared/resume" in options  # unfinished runs survive a lost machine
    assert "." in config["file_mounts"].values() and ".dscr" in config["rsync_exclude"]

