"""ImageNet-3DCC constants of the corruptions in dscr.corrupt.threedcc (the 11 of the paper's appendix A.2)."""

SOURCE = ("EPFL-VILAB/3DCommonCorruptions create_3dcc/create_non3d.py, create_dof.py, create_fog.py, create_flash.py, "
          "motion_video/create_motion.py, create_video.py, video_distortions.py")

TABLE = {
    "near_focus": [dict(aperture=s + 2.0) for s in range(1, 6)],  # create_dof.py: aperture = severity + 2
    "far_focus": [dict(aperture=s + 2.0) for s in range(1, 6)],  # the function applies the far-focus - 1.5
    "fog_3d": [dict(alpha=a) for a in (4, 8, 12, 16, 20)],
    "flash": [dict(scaler=c) for c in (2.4, 1.4, 0.9, 0.6, 0.4)],  # create_flash.py corr_scaler
    "color_quant": [dict(bits=6 - s) for s in range(1, 6)],
    "low_light": [dict(level=v) for v in (0.60, 0.50, 0.40, 0.30, 0.20)],
    "xy_motion_blur": [dict(frames=f) for f in (20, 30, 40, 50, 60)],  # create_motion.py: mean of the first frames
    "z_motion_blur": [dict(frames=f) for f in (20, 25, 30, 35, 38)],
    "iso_noise": [dict(sigma=0.7 * g) for g in (0.08, 0.12, 0.18, 0.26, 0.38)],
    "bit_error": [dict(amount=a) for a in (100000, 50000, 30000, 20000, 10000)],  # video_distortions.py bit_error
    "h265_abr": [dict(divisor=d) for d in (2, 4, 8, 16, 32)],  # video_distortions.py h265_abr
}
DEPTH = ("near_focus", "far_focus", "fog_3d", "flash", "xy_motion_blur", "z_motion_blur", "bit_error", "h265_abr")
ROUNDED = ("color_quant", "bit_error", "h265_abr")  # 8-bit results (PIL posterize, decoded video frames)
