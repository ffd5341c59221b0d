"""NYU's depth PNG packing: 640 x 480 8-bit RGB, R = 0, depth in mm = G * 256 + B.

(With OpenCV's BGR order that is img[..., 1] * 256 + img[..., 0].) The release uses it
for both `depth_K_N.png` (real Kinect) and `synthdepth_K_N.png` (the model's render).
The encoder writes the PNG itself (IHDR, one IDAT, IEND; no row filter, zlib level 1):
2-3x faster than PIL's encoder, whose adaptive filtering costs more than a simulated
frame, for files about as small (these images are mostly flat).
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ZLIB_LEVEL = 1


def pack_depth_rgb(depth_mm: np.ndarray) -> np.ndarray:
    """(H, W) uint16 depth in mm -> (H, W, 3) uint8: R = 0, G = high byte, B = low byte."""
    depth = np.asarray(depth_mm)
    if depth.dtype != np.uint16:
        raise TypeError(f"depth must be uint16 millimetres, got {depth.dtype}")
    rgb = np.zeros((*depth.shape, 3), dtype=np.uint8)
    rgb[..., 1] = depth >> 8
    rgb[..., 2] = depth & 0xFF
    return rgb


def unpack_depth_rgb(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB as stored -> (H, W) uint16 depth in mm (0 = no reading)."""
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected (H, W, 3) uint8 RGB, got {rgb.shape} {rgb.dtype}")
    return (rgb[..., 1].astype(np.uint16) << 8) | rgb[..., 2].astype(np.uint16)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_depth_png(depth_mm: np.ndarray) -> bytes:
    """(H, W) uint16 mm -> the bytes of an NYU-style RGB PNG (8 bits per channel)."""
    depth = np.asarray(depth_mm)
    if depth.dtype != np.uint16 or depth.ndim != 2:
        raise TypeError(f"depth must be (H, W) uint16 millimetres, got {depth.shape} {depth.dtype}")
    h, w = depth.shape
    rows = np.zeros((h, 1 + 3 * w), dtype=np.uint8)  # each row: filter byte 0, then R G B
    rows[:, 2::3] = depth >> 8  # G: high byte (R stays 0)
    rows[:, 3::3] = depth & 0xFF  # B: low byte
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit, truecolour, no interlace
    return (PNG_SIGNATURE + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), ZLIB_LEVEL))
            + _png_chunk(b"IEND", b""))


def decode_depth_png(data: bytes) -> np.ndarray:
    """The bytes of an NYU-style depth PNG -> (H, W) uint16 mm."""
    with Image.open(io.BytesIO(data)) as img:
        if img.mode != "RGB":
            raise ValueError(f"NYU depth PNGs are RGB, got mode {img.mode!r}")
        return unpack_depth_rgb(np.asarray(img))
