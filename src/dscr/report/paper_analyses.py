"""Numbers the paper's appendix publishes for its analyses (Wu et al., ICLR 2025, appendix A.6-A.8), shown beside
ours. Robustness or test accuracy in %, keyed by algorithm name (`dscr.dst` registry names; CHTs by its
initialisation). Reports name the table with `dscr.report.paper.cite`."""

# Appendix A.6, Table 8: MLP on Fashion-MNIST-C, robustness accuracy (mean, std over 3 seeds), per training sparsity.
# The dense model has one number (no sparsity).
TABLE8_DENSE = (19.82, 0.32)
TABLE8 = {
    0.97: {"set": (23.44, 1.79), "rigl": (25.23, 1.39), "chts_csti": (24.50, 1.03), "chts_bsw": (26.64, 1.06)},
    0.95: {"set": (25.55, 0.32), "rigl": (25.03, 1.11), "chts_csti": (27.38, 0.25), "chts_bsw": (27.13, 0.33)},
}

# Appendix A.7, Table 9: CIFAR-100 robustness accuracy with and without Mixup (ResNet34; single numbers).
TABLE9 = {"no_mixup": {"dense": 51.68, "set": 52.60}, "mixup": {"dense": 54.75, "set": 54.93}}

# Appendix A.8, Table 10: ImageNet-R accuracy of ResNet50 trained on ImageNet (sparsity 0.1).
TABLE10 = {"imagenet-r": {"dense": 37.84, "rigl": 40.04, "mest_g": 38.33, "granet_g": 38.46}}

# Appendix A.8, Table 11: ImageNet-v2 accuracy per subset, and their average.
TABLE11 = {
    "imagenet-v2-top-images": {"dense": 77.80, "rigl": 77.88, "mest_g": 78.33, "granet_g": 78.21},
    "imagenet-v2-threshold0.7": {"dense": 72.95, "rigl": 72.81, "mest_g": 73.23, "granet_g": 73.58},
    "imagenet-v2-matched-frequency": {"dense": 64.62, "rigl": 64.23, "mest_g": 64.14, "granet_g": 64.60},
    "average": {"dense": 71.79, "rigl": 71.64, "mest_g": 71.90, "granet_g": 72.13},
}

# Where the paper ran its analyses on models (appendix A.5, A.10), for the stand-in notes of our reports:
# analysis -> (figure, dataset, model or None when the paper does not name one).
ANALYSIS_SETTINGS = {
    "frequency": ("Figure 18", "tinyimagenet", None),
    "gradcam": ("Figure 19", "tinyimagenet", None),
    "filters-vgg16": ("Figure 16", "cifar10", "vgg16"),
    "filters-resnet34": ("Figure 17", "cifar100", "resnet34"),
}

# Figure 19's corruptions (Tiny-ImageNet-C), in the figure's order, and its models.
FIGURE19_CORRUPTIONS = ["brightness", "contrast", "fog", "gaussian_noise", "motion_blur", "pixelate", "shot_noise",
                        "snow"]
FIGURE19_ALGORITHMS = ["dense", "set", "rigl"]
