"""Numbers published in the paper, shown beside ours, and where in the paper each table is.

Wu, Xiao, Wang, Strisciuglio, Pechenizkiy, van Keulen, Mocanu, Mocanu: "Dynamic Sparse Training versus Dense
Training: The Unexpected Winner in Image Corruption Robustness", ICLR 2025 (arXiv:2410.03030). Every report that
prints one of these numbers names its table and section with `cite`; a missing entry means the number is not
transcribed here.
"""

PAPER = "Wu et al., ICLR 2025 (arXiv:2410.03030)"
# Where each published table sits in the paper.
LOCATION = {
    "table2": "Table 2 (main text)", "tables4-7": "appendix A.3.2, Tables 4-7", "table8": "appendix A.6, Table 8",
    "table9": "appendix A.7, Table 9", "tables10-11": "appendix A.8, Tables 10-11", "table12": "appendix A.9, Table 12",
}


def cite(table: str) -> str:
    """The report note that names the source of a table's published numbers ('paper: Wu et al., ..., Table 8')."""
    return f"paper: {PAPER}, {LOCATION[table]}"


# Table 2 (main text): robustness accuracy (%) per (scenario, suite).
TABLE2 = {
    ("imagenet_resnet50", "imagenet-c"): {"dense": 38.38, "rigl": 38.70, "mest_g": 38.64, "granet_g": 38.72},
    ("imagenet_resnet50", "imagenet-c-bar"): {"dense": 40.38},
    ("imagenet_resnet50", "imagenet-3dcc"): {"dense": 43.62, "rigl": 44.08},
    ("ucf101_r3d50", "ucf101-c"): {"dense": 51.14, "best_dst": 53.57},
    ("ucf101_i3d", "ucf101-c"): {"dense": 53.58, "best_dst": 56.30},
}

DISPLAY = {"dense": "Dense", "set": "SET", "rigl": "RigL", "mest_r": "MEST_r", "mest_g": "MEST_g",
           "granet_r": "GraNet_r", "granet_g": "GraNet_g", "static_random": "Static", "snip": "SNIP",
           "omp": "OMP", "lth": "LTH", "gmp": "GMP", "acdc": "AC/DC", "chts": "CHTs"}

# Appendix A.3.2, Tables 4-7: (training FLOPs, inference FLOPs, parameters) per algorithm and sparsity.
# Algorithms sharing a row in the paper (SET / RigL, MEST_r / MEST_g, GraNet_r / GraNet_g) share numbers.
_S = (0.7, 0.6, 0.5, 0.4, 0.3)


def _rows(tr, inf, params, tr_scale, in_scale):
    return {s: (t * tr_scale, i * in_scale, p * 1e6) for s, t, i, p in zip(_S, tr, inf, params)}


_T4 = dict(inf=(1.92, 2.55, 3.17, 3.80, 4.42), params=(4.95, 6.43, 7.89, 9.37, 10.81), tr_scale=1e16, in_scale=1e8)
_T5 = dict(inf=(0.67, 0.93, 1.18, 1.40, 1.62), params=(6.45, 8.57, 10.70, 12.82, 14.95), tr_scale=1e16, in_scale=1e9)
_T6 = dict(inf=(2.21, 2.85, 3.48, 4.12, 4.75), params=(1.89, 2.29, 2.68, 2.68, 3.08), tr_scale=1e15, in_scale=1e9)
FLOPS = {
    ("vgg16", "cifar10", 160): {
        "dense": {0.0: (1.51e16, 6.30e8, 15.25e6)},
        "set": _rows((0.46, 0.61, 0.76, 0.91, 1.06), **_T4), "mest": _rows((0.51, 0.67, 0.84, 1.00, 1.17), **_T4),
        "granet": _rows((0.68, 0.73, 0.85, 0.97, 1.09), **_T4)},
    ("resnet34", "cifar100", 160): {
        "dense": {0.0: (5.57e16, 2.32e9, 21.33e6)},
        "set": _rows((1.68, 2.24, 2.79, 3.35, 3.90), **_T5), "mest": _rows((1.85, 2.46, 3.07, 3.68, 4.29), **_T5),
        "granet": _rows((2.51, 2.68, 3.13, 3.63, 4.02), **_T5)},
    ("efficientnet_b0", "tinyimagenet", 100): {
        "dense": {0.0: (1.98e15, 6.63e9, 4.26e6)},
        "set": _rows((0.66, 0.85, 1.04, 1.23, 1.42), **_T6), "mest": _rows((0.72, 0.92, 1.13, 1.34, 1.55), **_T6),
        "granet": _rows((0.89, 1.02, 1.15, 1.32, 1.46), **_T6)},
    ("resnet50", "imagenet", 90): {
        "dense": {0.0: (2.28e18, 8.21e9, 25.56e6)}, "set": {0.1: (2.17e18, 7.80e9, 23.00e6)},
        "mest": {0.1: (2.18e18, 7.80e9, 23.00e6)}, "granet": {0.1: (2.20e18, 7.80e9, 23.00e6)}},
}
FLOPS_FAMILY = {"dense": "dense", "set": "set", "rigl": "set", "mest_r": "mest", "mest_g": "mest",
                "granet_r": "granet", "granet_g": "granet"}
