"""Depth rendering: geometry of the ray caster and agreement with the joint labels."""

from __future__ import annotations

import numpy as np

from simgan_core.hand.depth_render import (
    draw_capsule,
    draw_ellipsoid,
    draw_sphere,
    empty_depth,
    to_uint16_mm,
)
from simgan_core.hand.hand_model import RADII
from simgan_core.hand.joints import FX, FY, uvd_to_xyz, xyz_to_uvd
from simgan_core.hand.nyu_writer import synth_frame

TIPS = (0, 6, 12, 18, 24)
MAX_TIP_RADIUS_MM = float(RADII[:, 2].max()) * 1.12 * 1.1  # largest scale x thickness


def test_a_sphere_on_the_axis_shows_its_front_and_its_radius():
    depth = empty_depth()
    draw_sphere(depth, np.array([0.0, 0.0, 800.0]), 50.0)
    assert depth[240, 320] == np.float32(750.0)  # the pixel (u=320, v=240) is the axis
    radius_px = (np.isfinite(depth[240]).sum()) / 2
    assert abs(radius_px - FX * 50.0 / np.sqrt(800.0**2 - 50.0**2)) < 1.0
    assert np.isinf(depth[0, 0])


def test_z_buffer_keeps_the_nearest_surface_and_a_capsule_is_round():
    depth = empty_depth()
    centre = uvd_to_xyz(np.array([200.0, 100.0, 700.0]))
    draw_capsule(depth, centre - (40.0, 0, 0), centre + (40.0, 0, 0), 10.0)
    draw_ellipsoid(depth, centre + (0, 0, 30.0), np.eye(3), np.array([60.0, 30.0, 25.0]))
    # The capsule, in front of the ellipsoid: the ray through its axis meets the surface r
    # before the axis along the ray (the ray is oblique in y: y/z = (240 - 100) / fy).
    ray_y = (240.0 - 100.0) / FY
    assert abs(depth[100, 200] - (700.0 - 10.0 / np.hypot(ray_y, 1.0))) < 0.01
    # 55 mm to the side, past the capsule's end (50 mm): the ellipsoid (centre z 730,
    # semi-axes x 60, z 25) at z ~ 730 - 25 sqrt(1 - (55 / 60)^2) ~ 720
    beside = depth[100, 200 + round(FX * 55.0 / 720.0)]
    assert abs(beside - (730.0 - 25.0 * np.sqrt(1 - (55.0 / 60.0) ** 2))) < 3.0


def test_uint16_conversion_rounds_and_marks_background():
    d = np.array([[np.inf, 700.4, 700.6]], dtype=np.float32)
    np.testing.assert_array_equal(to_uint16_mm(d), [[0, 700, 701]])
    np.testing.assert_array_equal(to_uint16_mm(d, background=2001), [[2001, 700, 701]])


def test_labels_project_onto_the_rendered_hand():
    """At a fingertip's own pixel the rendered depth is never behind its d (the ray passes
    through the tip's sphere first) and, unless another part of the hand is in front,
    within the tip's radius of it."""
    seen = 0
    for index in range(12):
        depth, xyz = synth_frame(seed=0, index=index)
        uvd = xyz_to_uvd(xyz)
        palm = uvd[32]
        assert depth[int(round(palm[1])), int(round(palm[0]))] > 0  # the palm centre is on it
        for tip in TIPS:
            u, v, d = uvd[tip]
            row, col = int(round(v)), int(round(u))
            if not (0 <= row < 480 and 0 <= col < 640):
                continue
            rendered = float(depth[row, col])
            assert 0 < rendered <= d + 1.5, (index, tip, rendered, d)
            if rendered >= d - MAX_TIP_RADIUS_MM - 1.5:  # the tip itself, not an occluder
                seen += 1
    assert seen >= 20
