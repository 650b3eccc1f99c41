"""ImageNet-3DCC constants for the corruptions computed in dscr.corrupt.threedcc."""

SOURCE = ("EPFL-VILAB/3DCommonCorruptions create_3dcc/create_non3d.py, create_dof.py, create_fog.py")

TABLE = {
    "near_focus": [dict(aperture=s + 2.0) for s in range(1, 6)],  # create_dof.py: aperture = severity + 2
    "far_focus": [dict(aperture=s + 2.0) for s in range(1, 6)],  # the function applies the far-focus - 1.5
    "fog_3d": [dict(alpha=a) for a in (4, 8, 12, 16, 20)],
    "color_quant": [dict(bits=6 - s) for s in range(1, 6)],
    "iso_noise": [dict(sigma=0.7 * g) for g in (0.08, 0.12, 0.18, 0.26, 0.38)],
    "low_light": [dict(level=v) for v in (0.60, 0.50, 0.40, 0.30, 0.20)],
}
DEPTH = ("near_focus", "far_focus", "fog_3d")
