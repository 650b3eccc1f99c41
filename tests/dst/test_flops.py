"""`dscr.flops` against published values of the paper's Tables 4-5 and 7, and its formulas on a tiny model."""

import argparse

import pytest
from torch import nn

from dscr import dst, flops
from dscr.cli import flops as flops_cli


def cli_report(*argv):
    parser = argparse.ArgumentParser()
    flops_cli.add_parser(parser.add_subparsers())
    return flops_cli.build(parser.parse_args(["flops", *argv]))[1]


@pytest.mark.parametrize("algorithm,sparsity,train,infer,params", [
    ("dense", 0.0, 1.51e16, 6.30e8, 15.25e6),   # Table 4, VGG16 / CIFAR-10, 160 epochs
    ("set", 0.5, 0.76e16, 3.17e8, 7.89e6),
    ("mest_g", 0.3, 1.17e16, 4.42e8, 10.81e6),
])
def test_vgg16_cifar10_matches_table_4(algorithm, sparsity, train, infer, params):
    r = cli_report("--model", "vgg16", "--dataset", "cifar10", "--algorithm", algorithm,
                   "--sparsity", str(sparsity), "--epochs", "160")
    assert r.training_flops == pytest.approx(train, rel=0.02)
    assert r.inference_flops == pytest.approx(infer, rel=0.02)
    assert r.params == pytest.approx(params, rel=0.01)


def test_resnet34_cifar100_matches_table_5():
    r = cli_report("--model", "resnet34", "--dataset", "cifar100", "--algorithm", "rigl", "--sparsity", "0.4",
                   "--epochs", "160")
    assert r.training_flops == pytest.approx(3.35e16, rel=0.02)
    assert r.inference_flops == pytest.approx(1.40e9, rel=0.02)
    assert r.params == pytest.approx(12.82e6, rel=0.01)


def tiny():
    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))


def test_formulas_on_a_tiny_model():
    base = dict(sparsity=0.5, distribution="uniform", update_interval=10, prune_rate=0.1, decay="polynomial")
    counts = flops.measure(tiny(), (3, 8, 8), dst.DSTConfig(**base))
    conv = 2 * 64 * (16 * 27 + 32 * 16 * 9)
    assert counts.total == pytest.approx(conv + 2 * 320)
    run = lambda algorithm: flops.report(counts, dst.DSTConfig(algorithm=algorithm, **base), 1000, 10, 10)  # noqa
    dense, set_, rigl, mest = run("dense"), run("set"), run("rigl"), run("mest_r")
    assert dense.training_flops == pytest.approx(3 * counts.total * 1000 * 10)
    assert set_.training_flops == pytest.approx(3 * set_.inference_flops * 1000 * 10)
    assert set_.inference_flops == pytest.approx(counts.total / 2, rel=0.01)
    # RigL: one dense weight gradient per update step (99 updates of 10 samples), nothing more
    assert rigl.training_flops - set_.training_flops == pytest.approx(99 * 10 * (counts.total -
                                                                                 set_.inference_flops))
    assert mest.training_flops / set_.training_flops == pytest.approx(1 + 0.1 / 1.01, rel=0.01)


def test_mest_r_with_lambda_pays_the_dense_gradient_of_each_update():
    # Hand count: tiny() on 8x8 inputs has 2*64*(16*27 + 32*16*9) conv + 2*320 linear FLOPs = 645760, all in
    # sparse weights; at density 0.5 (no soft bound: mest_bound 0) the sparse backward already has half of the
    # weight gradient, so reading |g| for the prune score costs the other half, 322880 FLOPs per sample, on
    # the 10 samples of each of the 99 update steps (every 10 of 1000 steps, the last one excluded).
    base = dict(sparsity=0.5, distribution="uniform", update_interval=10, prune_rate=0.1, decay="polynomial",
                mest_bound=0.0)
    counts = flops.measure(tiny(), (3, 8, 8), dst.DSTConfig(**base))
    without = flops.report(counts, dst.DSTConfig(algorithm="mest_r", **base), 1000, 10, 10)
    with_lambda = flops.report(counts, dst.DSTConfig(algorithm="mest_r", mest_lambda=0.5, **base), 1000, 10, 10)
    assert with_lambda.training_flops - without.training_flops == pytest.approx(99 * 10 * 322880, rel=1e-3)
    assert with_lambda.inference_flops == without.inference_flops
    # and through the command line flag
    plain = cli_report("--model", "vgg16", "--dataset", "cifar10", "--algorithm", "mest_r", "--sparsity", "0.5",
                       "--epochs", "2")
    lam = cli_report("--model", "vgg16", "--dataset", "cifar10", "--algorithm", "mest_r", "--sparsity", "0.5",
                     "--epochs", "2", "--mest-lambda", "0.1")
    assert lam.training_flops > plain.training_flops
