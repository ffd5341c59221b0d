"""The two renderers: the pixels show the geometry the labels describe."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from simgan_core.gaze.conventions import pitchyaw_to_gaze
from simgan_core.gaze.eye_model import (
    REAL_POSES,
    SYNTHETIC_POSES,
    caruncle,
    image_view,
    interior_margin,
    lid_curve,
    sample_scene,
)
from simgan_core.gaze.real_camera import (
    crop_view,
    render_real_eye,
    sample_day,
    sample_subject,
)
from simgan_core.gaze.render_synthetic import (
    rasterise_eye,
    region,
    render_synthetic,
    sample_look,
)

W, H = 320, 240


def _scene(pitch_deg: float, yaw_deg: float, poses=SYNTHETIC_POSES, seed: int = 0, shape=None):
    """A sampled scene, head facing the camera, with the gaze replaced."""
    base = sample_scene(np.random.default_rng(seed), poses, shape=shape)
    return replace(base, gaze=pitchyaw_to_gaze(np.radians([pitch_deg, yaw_deg])),
                   head_pyr_deg=np.zeros(3))


def _open_mask(scene, view, hw) -> np.ndarray:
    """(H, W) coverage of the lid opening in the full grid."""
    r = rasterise_eye(scene, view, hw, pad=4)
    full = np.zeros(hw, np.float32)
    box = full[r.y0:r.y0 + r.shape[0], r.x0:r.x0 + r.shape[1]]
    box[region(r.eye_box)] = r.open_alpha
    return full


def _pupil_depth(scene) -> float:
    """Distance from the eyeball centre to the plane of the pupil's rim (world units)."""
    sin_iris = scene.shape.iris_radius / scene.eyeball_radius
    return scene.eyeball_radius * np.sqrt(1.0 - (scene.pupil_ratio * sin_iris) ** 2)


def _dark_centroid(gray: np.ndarray, fraction: float) -> np.ndarray:
    """(x, y) centroid, continuous top-left coordinates, of the darkest `fraction` of pixels."""
    ys, xs = np.nonzero(gray <= np.quantile(gray, fraction))
    return np.array([xs.mean() + 0.5, ys.mean() + 0.5])


def test_synthetic_render_is_rgb_and_deterministic():
    scene, look = _scene(5, 10), sample_look(np.random.default_rng(1))
    a = render_synthetic(scene, look, W, H)
    assert a.shape == (H, W, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, render_synthetic(scene, look, W, H))
    assert a.std() > 5  # not a blank frame


def test_pupil_is_where_the_geometry_puts_it():
    view = image_view(W, H)
    look = sample_look(np.random.default_rng(2))
    for pitch, yaw in [(0, 0), (15, -25), (-10, 30)]:
        scene = _scene(pitch, yaw)
        gray = render_synthetic(scene, look, W, H).mean(-1)
        # The pupil is a cap of the eyeball round the gaze axis: its rim circle's centre
        # projects to the centre of the dark pupil (the darkest pixels).
        expected = view.project(_pupil_depth(scene) * scene.gaze[None])[0]
        mask = _open_mask(scene, view, (H, W)) > 0.99  # only inside the lid opening
        found = _dark_centroid(np.where(mask, gray, 255.0), 40 / gray.size)
        assert np.linalg.norm(found - expected) < 2.0, (pitch, yaw, found, expected)


def test_lids_occlude_the_eyeball():
    """Outside the lid opening nothing depends on where the eye looks; inside it does."""
    view = image_view(W, H)
    look = sample_look(np.random.default_rng(3))
    a_scene, b_scene = _scene(0, -25), _scene(0, 25)  # same eyelids (head fixed, same pitch)
    a = render_synthetic(a_scene, look, W, H).astype(int)
    b = render_synthetic(b_scene, look, W, H).astype(int)
    open_a, open_b = _open_mask(a_scene, view, (H, W)), _open_mask(b_scene, view, (H, W))
    np.testing.assert_array_equal(open_a, open_b)
    outside = open_a == 0
    np.testing.assert_array_equal(a[outside], b[outside])
    assert np.abs(a - b)[open_a > 0.99].max() > 100  # the iris moved
    # A pixel just above the upper lid's apex, over the eyeball's disc, is skin: the same
    # colour as with the eye closed to a slit (no sclera or iris shows through).
    t = np.linspace(0, 1, 101)
    upper = view.project(lid_curve(a_scene, t, upper=True))
    x, y = upper[np.argmin(upper[:, 1])]
    pixel = (int(y) - 4, int(x))
    assert open_a[pixel] == 0
    assert np.hypot(x - W / 2, y - 4 - H / 2) < view.scale * a_scene.eyeball_radius
    skin = a[pixel]
    assert skin[0] > skin[2] + 10  # skin tones are red over blue; sclera is near grey-white


def test_lid_edges_are_antialiased():
    scene = _scene(0, 0)
    r = rasterise_eye(scene, image_view(W, H), (H, W), pad=4)
    partial = (r.open_alpha > 0.05) & (r.open_alpha < 0.95)
    assert partial.sum() > 40  # a soft rim along the lid margin, not a binary mask
    partial_iris = (r.iris_alpha > 0.05) & (r.iris_alpha < 0.95)
    assert partial_iris.sum() > 20


def test_real_crop_frames_the_eye_like_the_crop_recipe():
    """Eye corners land where eye_crop_box puts them: centred, 1/1.5 of the width apart."""
    scene = _scene(0, 0, poses=REAL_POSES)
    view = crop_view(scene, (36, 60))
    inner = view.project(caruncle(scene)).mean(0)
    outer = view.project(interior_margin(scene))[8]
    np.testing.assert_allclose((inner + outer) / 2, [30.0, 18.0], atol=1e-9)
    assert np.linalg.norm(outer - inner) == pytest.approx(40.0)


def test_real_render_shows_the_pupil_and_is_deterministic():
    subject = sample_subject(np.random.default_rng(4))
    day = sample_day(np.random.default_rng(5))
    offsets = []
    for pitch, yaw in [(0, -15), (0, 15), (-8, 0)]:
        scene = _scene(pitch, yaw, poses=REAL_POSES, shape=subject.shape)
        img = render_real_eye(scene, subject, day, np.random.default_rng(6))
        assert img.shape == (36, 60) and img.dtype == np.uint8
        again = render_real_eye(scene, subject, day, np.random.default_rng(6))
        np.testing.assert_array_equal(img, again)
        expected = crop_view(scene, (36, 60)).project(_pupil_depth(scene) * scene.gaze[None])[0]
        mask = _open_mask(scene, crop_view(scene, (36, 60)), (36, 60)) > 0.99
        found = _dark_centroid(np.where(mask, img.astype(float), 255.0), 6 / img.size)
        offsets.append(np.linalg.norm(found - expected))
    assert max(offsets) < 3.0, offsets  # noise, lashes and blur, but the pupil is clear


def test_real_and_synthetic_looks_differ():
    """The domain gap is real: the stand-in camera is noisier and lower in contrast."""
    scene = _scene(0, 10, poses=REAL_POSES)
    subject = sample_subject(np.random.default_rng(7))
    real = render_real_eye(scene, subject, sample_day(np.random.default_rng(8)),
                           np.random.default_rng(9)).astype(float)
    view = crop_view(scene, (36, 60))
    synth = render_synthetic(scene, sample_look(np.random.default_rng(10)), W, H).mean(-1)
    s = image_view(W, H).scale / view.scale  # synthetic pixels per crop pixel
    x0, y0 = -view.cx * s + W / 2, -view.cy * s + H / 2
    ys, xs = np.mgrid[0:36, 0:60]
    crop = synth[(y0 + (ys + 0.5) * s).astype(int), (x0 + (xs + 0.5) * s).astype(int)]
    noise = lambda im: np.median(np.abs(np.diff(im, 2, axis=1)))  # noqa: E731 (flat areas)
    assert noise(real) > 2.0 * noise(crop) + 1.0
    assert np.percentile(real, 99) - np.percentile(real, 1) < np.ptp(crop)
