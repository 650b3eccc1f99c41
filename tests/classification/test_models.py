import pytest
import torch

from dscr.config import DscrError
from tasks.classification.models import create_model


def n_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name, classes, millions", [
    ("resnet18", 10, 11.17),
    ("resnet34", 100, 21.33),
    ("resnet50", 1000, 25.56),
    ("efficientnet_b0", 200, 4.26),
    ("mlp", 10, 2.80),
])
def test_parameter_counts(name, classes, millions):
    assert round(n_params(create_model(name, classes)) / 1e6, 2) == millions


def test_vgg16_matches_the_paper_count():
    # The sparselearning VGG-like head keeps BatchNorm1d between its 512-wide linears; the paper's 15.25 M
    # (Table 4) counts the conv and linear weights and biases, without BatchNorm.
    model = create_model("vgg16", 10)
    assert n_params(model) == 15_255_626
    layers = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert round(sum(n_params(m) for m in layers) / 1e6, 2) == 15.25


def test_deit_base_size():
    assert round(n_params(create_model("deit_base", 1000)) / 1e6, 1) == 86.6


@pytest.mark.parametrize("name, shape", [("vgg16", (2, 3, 32, 32)), ("resnet18", (2, 3, 32, 32)),
                                         ("resnet_tiny", (2, 3, 32, 32)), ("mlp", (2, 1, 28, 28))])
def test_forward_shape(name, shape):
    model = create_model(name, 10).eval()
    with torch.no_grad():
        assert model(torch.randn(shape)).shape == (2, 10)


def test_unknown_model_lists_the_allowed_ones():
    with pytest.raises(DscrError, match="unknown model 'vgg19'; allowed: .*vgg16"):
        create_model("vgg19", 10)
