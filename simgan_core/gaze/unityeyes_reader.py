"""Reader of UnityEyes output: `imgs/N.jpg` + `imgs/N.json` pairs (formats.md, UnityEyes).

JSON quirks handled here: every number is a string; landmarks and vectors are tuple
strings "(x, y, z)" (look_vec has 4 components) parsed with a regex, never `eval`;
scientific notation ("1.924006E-17") is valid; a comma decimal ("0,10") is rejected
with a reason, never misread; screen y has its origin at the BOTTOM-left and becomes
`H - y` with H taken from the decoded image. Every bad input becomes `Quarantined`
with a reason; the head-pose filter of public gaze code makes `Skipped`.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
from PIL import Image

from simgan_core.gaze.conventions import look_vec_to_gaze
from simgan_core.gaze.records import (
    N_CARUNCLE,
    N_INTERIOR_MARGIN,
    N_IRIS,
    UnityEyesAnnotation,
    UnityEyesRecord,
)
from simgan_core.ingest_records import EmptySourceError, FormatError, Quarantined, Skipped

__all__ = [
    "UnityEyesListing",
    "iter_unityeyes",
    "list_unityeyes",
    "parse_unityeyes_json",
]

LOOK_VEC_NORM_TOLERANCE = 1e-2  # |norm - 1| above this: not a direction, quarantined

# A plain decimal float with optional exponent; no locale commas, no nan/inf, no "_".
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NONFINITE_RE = re.compile(r"[+-]?(?:nan|inf|infinity|\u221e)", re.IGNORECASE)
_COMMA_DECIMAL_RE = re.compile(r"[0-9],[0-9]")  # "0,10": a decimal comma, not a separator
_TUPLE_RE = re.compile(r"\s*\((.*)\)\s*", re.DOTALL)
_TUPLE_SEP_RE = re.compile(r",\s*")
_FILE_RE = re.compile(r"([0-9]+)\.(jpg|json)", re.ASCII)
# The fast path for a well-formed "(x, y, z)": strict floats, ", " separators (a space
# after each comma, as UnityEyes writes them, so "(1,5, 2)" can never match).
_F = _FLOAT_RE.pattern
_POINT3_RE = re.compile(rf"\(\s*({_F}), +({_F}), +({_F})\s*\)")


# --- numbers and tuple strings -------------------------------------------------------


def _number(token: str, field: str, raw: str) -> float:
    """One numeric token -> finite float, or FormatError naming `field`."""
    token = token.strip()
    if _FLOAT_RE.fullmatch(token):
        value = float(token)
        if math.isfinite(value):
            return value
        raise FormatError(f"non-finite value in {field}: {raw!r} (overflows float64)")
    if _NONFINITE_RE.fullmatch(token):
        raise FormatError(f"non-finite value in {field}: {raw!r}")
    raise FormatError(f"not a number in {field}: {raw!r}")


def _scalar(value: object, field: str) -> float:
    """A stringified float (the UnityEyes way) or a JSON number -> finite float."""
    if isinstance(value, bool):
        raise FormatError(f"{field} is a boolean, expected a number string")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise FormatError(f"non-finite value in {field}: {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise FormatError(f"{field} is a {type(value).__name__}, expected a number string")
    if _COMMA_DECIMAL_RE.search(value):
        raise FormatError(f"comma decimal separator in {field}: {value!r}")
    return _number(value, field, value)


def _tuple(value: object, field: str, n: int) -> np.ndarray:
    """A tuple string "(a, b, ...)" of exactly `n` finite floats -> (n,) float64."""
    if not isinstance(value, str):
        raise FormatError(f"{field} is a {type(value).__name__}, expected a '(x, y, z)' string")
    if _COMMA_DECIMAL_RE.search(value):
        raise FormatError(f"comma decimal separator in {field}: {value!r}")
    match = _TUPLE_RE.fullmatch(value)
    if match is None:
        raise FormatError(f"{field} is not a parenthesised tuple: {value!r}")
    tokens = _TUPLE_SEP_RE.split(match.group(1).strip())
    if len(tokens) != n:
        raise FormatError(f"{field} has {len(tokens)} components, expected {n}: {value!r}")
    return np.array([_number(t, field, value) for t in tokens], dtype=np.float64)


# --- fields ------------------------------------------------------------------------


def _get(obj: dict, path: str) -> object:
    """obj["a"]["b"] for path "a.b", or FormatError("missing field a.b")."""
    node: object = obj
    done: list[str] = []
    for part in path.split("."):
        if not isinstance(node, dict):
            raise FormatError(f"{'.'.join(done)} is not a JSON object")
        if part not in node:
            raise FormatError(f"missing field {path}")
        node = node[part]
        done.append(part)
    return node


def _points(obj: dict, field: str, n: int) -> np.ndarray:
    """A list of n "(x, y, z)" strings -> (n, 3) float64 screen coordinates."""
    value = _get(obj, field)
    if not isinstance(value, list):
        raise FormatError(f"{field} is a {type(value).__name__}, expected a list of points")
    if len(value) != n:
        raise FormatError(f"{field} has {len(value)} points, expected {n}")
    matches = [_POINT3_RE.fullmatch(v) if isinstance(v, str) else None for v in value]
    if all(matches):  # one conversion for all points (ingest parses 55 per sample)
        points = np.array([m.groups() for m in matches], dtype=np.float64)
        if np.isfinite(points).all():
            return points
    # The slow path names the first bad point and its problem.
    return np.stack([_tuple(v, f"{field}[{i}]", 3) for i, v in enumerate(value)])


def _wrap_deg(angles: np.ndarray) -> np.ndarray:
    """Degrees -> (-180, 180] (180 stays 180, -180 becomes 180)."""
    return 180.0 - np.mod(180.0 - angles, 360.0)


def _load_json(text: str) -> dict:
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise FormatError(f"malformed JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise FormatError(f"top level is a JSON {type(obj).__name__}, expected an object")
    return obj


def _parse_screen(obj: dict) -> UnityEyesAnnotation:
    """Validate every field the records use; landmarks stay in BOTTOM-left screen y."""
    margin = _points(obj, "interior_margin_2d", N_INTERIOR_MARGIN)
    caruncle = _points(obj, "caruncle_2d", N_CARUNCLE)
    iris = _points(obj, "iris_2d", N_IRIS)
    look = _tuple(_get(obj, "eye_details.look_vec"), "eye_details.look_vec", 4)
    norm = float(np.linalg.norm(look[:3]))
    if abs(norm - 1.0) > LOOK_VEC_NORM_TOLERANCE:
        raise FormatError(f"eye_details.look_vec is not a unit vector (norm {norm:.4g})")
    texture = _get(obj, "eye_details.iris_texture")
    if not isinstance(texture, str) or not texture:
        raise FormatError(f"eye_details.iris_texture is not a name: {texture!r}")
    pose = _tuple(_get(obj, "head_pose"), "head_pose", 3)  # camera Euler angles, [0, 360)
    head = _wrap_deg(pose - np.array([0.0, 180.0, 0.0]))  # yaw - 180: the head's own yaw
    return UnityEyesAnnotation(
        interior_margin=margin[:, :2],
        caruncle=caruncle[:, :2],
        iris=iris[:, :2],
        landmark_depth=np.concatenate([margin[:, 2], caruncle[:, 2], iris[:, 2]]),
        look_vec=look[:3],
        gaze=look_vec_to_gaze(look[:3]),
        head_pose_deg=head,
        pupil_size=_scalar(_get(obj, "eye_details.pupil_size"), "eye_details.pupil_size"),
        iris_size=_scalar(_get(obj, "eye_details.iris_size"), "eye_details.iris_size"),
        iris_texture=texture,
    )


def _to_top_left(ann: UnityEyesAnnotation, image_height: int) -> UnityEyesAnnotation:
    """Screen (x, y) with y up from the bottom edge -> image (x, H - y), y down."""

    def flip(xy: np.ndarray) -> np.ndarray:
        return np.stack([xy[:, 0], image_height - xy[:, 1]], axis=1)

    return replace(
        ann, interior_margin=flip(ann.interior_margin), caruncle=flip(ann.caruncle),
        iris=flip(ann.iris),
    )


def parse_unityeyes_json(text: str, image_height: int, source: str = "") -> UnityEyesAnnotation:
    """Parse one UnityEyes annotation for an image `image_height` rows tall.

    Raises FormatError (a ValueError) whose `reason` names the field and the problem;
    `source` (a file name) only prefixes the message.
    """
    if isinstance(image_height, bool) or not isinstance(image_height, int | np.integer):
        raise TypeError(f"image_height must be an int, got {type(image_height).__name__}")
    if image_height <= 0:
        raise ValueError(f"image_height must be positive, got {image_height}")
    try:
        return _to_top_left(_parse_screen(_load_json(text)), int(image_height))
    except FormatError as exc:
        raise FormatError(exc.reason, source) from None


# --- images --------------------------------------------------------------------------


def _decode_jpeg(path: Path, full: bool, gray: bool = False) -> np.ndarray | None:
    """Read a JPEG; with `full`, decode every byte -> (H, W, 3) uint8 RGB, or (H, W)
    luma with `gray` (libjpeg then skips the colour conversion: ~3x faster here).

    Without `full` only the header is checked (used for samples the pose filter skips).
    PIL raises many exception types on bad bytes, hence the broad catch (reason kept).
    """
    try:
        data = path.read_bytes()
        with Image.open(io.BytesIO(data)) as im:
            if im.format != "JPEG":
                raise FormatError(f"{path.name} is not a JPEG (it is {im.format})")
            if not full:
                return None
            if gray:
                im.draft("L", im.size)  # decode straight to luma, full size
            im.load()  # full decode: raises on truncated data unless a global says otherwise
            mode = "L" if gray else "RGB"
            image = np.array(im if im.mode == mode else im.convert(mode), dtype=np.uint8)
    except (FormatError, MemoryError):
        raise
    except Exception as exc:  # PIL raises OSError, SyntaxError, ValueError, ... on bad bytes
        kind = "truncated" if "truncated" in str(exc).lower() else "corrupt"
        raise FormatError(f"{kind} JPEG {path.name}: {exc}") from None
    # Belt and braces for ImageFile.LOAD_TRUNCATED_IMAGES = True set elsewhere: a whole
    # JPEG has an end-of-image marker after its last start-of-scan (no FF D9 can occur
    # inside entropy-coded data, FF is byte-stuffed there).
    if data.rfind(b"\xff\xd9") < data.rfind(b"\xff\xda"):
        raise FormatError(f"truncated JPEG {path.name}: no end-of-image marker after the scan")
    return image


# --- the folder ----------------------------------------------------------------------


@dataclass(frozen=True)
class UnityEyesListing:
    """The files of one UnityEyes folder, listed without being read."""

    imgs: Path  # folder/imgs
    stems: list[str]  # every N with an N.jpg or an N.json, numeric order (2 before 10)
    strays: list[Path]  # other visible files, sorted (not N.jpg / N.json)


def list_unityeyes(folder: Path) -> UnityEyesListing:
    """List `folder/imgs`; EmptySourceError when it is missing or holds no pair at all."""
    imgs = Path(folder) / "imgs"
    if not imgs.is_dir():
        raise EmptySourceError(f"UnityEyes source {folder} has no imgs/ folder")
    exts: dict[str, set[str]] = {}
    strays: list[Path] = []
    with os.scandir(imgs) as entries:
        for entry in entries:
            if entry.name.startswith(".") or not entry.is_file():
                continue  # hidden files (.DS_Store) and sub-folders are not samples
            match = _FILE_RE.fullmatch(entry.name)
            if match is None:
                strays.append(Path(entry.path))
            else:
                exts.setdefault(match.group(1), set()).add(match.group(2))
    if not any(len(e) == 2 for e in exts.values()):
        raise EmptySourceError(f"UnityEyes source {folder} has no N.jpg + N.json pair in imgs/")
    return UnityEyesListing(imgs, sorted(exts, key=lambda s: (int(s), s)), sorted(strays))


def _read_pair(imgs: Path, stem: str, max_angle: float, gray: bool
               ) -> UnityEyesRecord | Quarantined | Skipped:
    json_path, jpg_path = imgs / f"{stem}.json", imgs / f"{stem}.jpg"
    if not jpg_path.is_file():
        why = f"no image {stem}.jpg for {stem}.json" if json_path.is_file() else "no such file"
        return Quarantined(str(json_path), why)
    if not json_path.is_file():
        return Quarantined(str(jpg_path), f"no annotation {stem}.json for {stem}.jpg")
    try:
        text = json_path.read_bytes().decode("utf-8-sig")
        ann = _parse_screen(_load_json(text))
    except UnicodeDecodeError as exc:
        return Quarantined(str(json_path), f"not UTF-8 text: {exc}")
    except OSError as exc:
        return Quarantined(str(json_path), f"cannot read: {exc}")
    except FormatError as exc:
        return Quarantined(str(json_path), exc.reason)
    pitch, yaw = float(ann.head_pose_deg[0]), float(ann.head_pose_deg[1])
    skip = abs(pitch) > max_angle or abs(yaw) > max_angle
    try:
        image = _decode_jpeg(jpg_path, full=not skip, gray=gray)
    except FormatError as exc:
        return Quarantined(str(jpg_path), exc.reason)
    if skip or image is None:
        reason = f"head pose beyond {max_angle:g} deg (pitch {pitch:.1f}, yaw {yaw:.1f})"
        return Skipped(str(json_path), reason)
    ann = _to_top_left(ann, image.shape[0])
    parsed = {f.name: getattr(ann, f.name) for f in fields(ann)}
    return UnityEyesRecord(key=f"unityeyes-{stem}", json_path=str(json_path),
                           image_path=str(jpg_path), image=image, **parsed)


def _iterate(
    imgs: Path, stems: list[str], strays: list[Path], max_angle: float, gray: bool
) -> Iterator[UnityEyesRecord | Quarantined | Skipped]:
    for stem in stems:
        yield _read_pair(imgs, stem, max_angle, gray)
    for path in strays:
        yield Quarantined(str(path), f"unexpected file {path.name} (expected N.jpg or N.json)")


def iter_unityeyes(
    folder: Path, max_head_angle_deg: float = 20.0, stems: Sequence[str] | None = None,
    gray: bool = False,
) -> Iterator[UnityEyesRecord | Quarantined | Skipped]:
    """Stream `folder/imgs/N.jpg` + `N.json` pairs in numeric order of N.

    One image is in memory at a time. Yields a record per good pair, `Skipped` when
    |head pitch| or |head yaw| > `max_head_angle_deg` (such images get a header check,
    not a full decode), `Quarantined` for each bad or unpaired file, then for each
    stray file. With `stems` (file numbers from `list_unityeyes`, e.g. a shard's
    chunk) only those are read, in that order, and strays are left to the caller.
    With `gray`, record images are (H, W) luma instead of (H, W, 3) RGB.
    Raises EmptySourceError now (not at the first `next`) when `folder/imgs` is
    missing or (without `stems`) holds no pair at all.
    """
    if not max_head_angle_deg >= 0.0:
        raise ValueError(f"max_head_angle_deg must be >= 0, got {max_head_angle_deg}")
    if stems is None:
        listing = list_unityeyes(folder)
        return _iterate(listing.imgs, listing.stems, listing.strays,
                        float(max_head_angle_deg), gray)
    imgs = Path(folder) / "imgs"
    if not imgs.is_dir():
        raise EmptySourceError(f"UnityEyes source {folder} has no imgs/ folder")
    chosen = [str(s) for s in stems]
    for stem in chosen:
        if not re.fullmatch(r"[0-9]+", stem, re.ASCII):
            raise ValueError(f"UnityEyes file numbers are digits, got {stem!r}")
    return _iterate(imgs, chosen, [], float(max_head_angle_deg), gray)
