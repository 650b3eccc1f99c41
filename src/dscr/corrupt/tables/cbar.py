"""ImageNet-C-bar levels (224 px): the reference's 0-10 'severity' level for each of the 5 published severities."""

SOURCE = "facebookresearch/augmentation-corruption imagenet_c_bar/imagenet_c_bar.csv (+ corrupt.py)"

LEVELS = {
    "blue_noise_sample": (0.8, 1.6, 2.4, 4.0, 5.6),
    "brownish_noise": (1.0, 2.0, 3.0, 4.0, 5.0),
    "caustic_refraction": (2.35, 3.2, 4.9, 6.6, 9.15),
    "checkerboard_cutout": (2.0, 3.0, 4.0, 5.0, 6.0),
    "cocentric_sine_waves": (3.0, 5.0, 8.0, 9.0, 10.0),
    "inverse_sparkles": (1.0, 2.0, 4.0, 9.0, 10.0),
    "perlin_noise": (4.6, 5.2, 5.8, 7.6, 8.8),
    "plasma_noise": (4.75, 7.0, 8.5, 9.25, 10.0),
    "single_frequency_greyscale": (1.0, 1.5, 2.0, 4.5, 5.0),
    "sparkles": (1.0, 2.0, 3.0, 5.0, 6.0),
}
TABLE = {name: [dict(level=v) for v in levels] for name, levels in LEVELS.items()}
# The published folders are named by level, "{:.2f}"
SEVERITY_DIRS = {name: tuple(f"{v:.2f}" for v in levels) for name, levels in LEVELS.items()}
