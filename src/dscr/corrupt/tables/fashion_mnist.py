"""Fashion-MNIST-C: the 15 corruptions of the published generator, each at its one default MNIST-C severity."""

SOURCE = ("testingautomated-usi/fashion-mnist-c generator.py (CORRUPTIONS) with mnist_c.py / "
          "additional_corruptions.py default severities (google-research/mnist-c corruptions.py)")

TABLE = {
    "shot_noise": [dict(photons=3)],  # severity 5 of (60, 25, 12, 5, 3)
    "impulse_noise": [dict(amount=0.17)],  # severity 4
    "glass_blur": [dict(sigma=0.7, delta=1, iterations=2, swap_probability=0.5)],  # severity 1
    "motion_blur": [dict(radius=10, sigma=3)],  # severity 1
    "shear": [dict(amount=0.4)],  # severity 2, random direction
    "scale": [dict(factor=1 / 0.7)],  # severity 3
    "rotate": [dict(radians=0.4)],  # severity 2, random direction
    "brightness": [dict(shift=0.5)],  # severity 5
    "contrast": [dict(factor=0.1)],  # severity 4
    "saturate": [dict(scale_=20, offset=0.2)],  # severity 5
    "inverse": [dict()],
    "flip_sides": [dict()],
    "flip_up_down": [dict()],
    "flip_left_right": [dict()],  # published name of a clockwise quarter turn
    "flip_top_bottom": [dict()],  # published name of a counter-clockwise quarter turn
}
