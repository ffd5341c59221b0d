"""The images domain's spec: 8-bit RGB images with annotations the pipeline carries but
never reads, and no downstream estimator (refined shards are the product)."""

from __future__ import annotations

import numpy as np

from simgan_core.domain import Domain

IMAGE_HW = (32, 32)  # (H, W) by default; ingest_unlabeled.images' params choose it (sizable)
CHANNELS = 3  # RGB; a grayscale input is converted (R = G = B)

ANNOTATION_FIELDS = (
    ("domain", "string", '"images"'),
    ("user_annotation", "string", "the input's annotation, its exact text (JSON file or "
                                  "JSONL line); parse it with json.loads"),
    ("source.file", "string", "the input image, relative to the input folder"),
    ("source.original_hw", "int[2]", "the input image's (height, width), pixels"),
    ("source.fit", "string", '"crop" (centre crop to the aspect, then resize) or "resize"'),
    ("source.box", "int[4]", "(top, left, height, width) of the input region shown, input "
                             "pixels: x_out = (x_in - left) * W / width, likewise y"),
)

IMAGES = Domain(
    name="images",
    image_hw=IMAGE_HW,
    dtype=np.uint8,
    channels=CHANNELS,
    required_keys=("domain", "user_annotation", "source"),
    label_vector=None,  # annotations are the user's: carried through, never read
    leak_unit=None,  # no real_test split, no estimator to guard
    annotation_fields=ANNOTATION_FIELDS,
    sizable=True,  # fully convolutional refiner and critic, no estimator: any size
)

DOMAIN = IMAGES
