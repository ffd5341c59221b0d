"""The images domain: the user's own images, refined to look like their own camera's.

Canonical images sample (the `IMAGES` domain in simgan_core/images/spec.py):
- png: 8-bit RGB, IMAGE_HW (H, W), cropped or resized from the input image (any size,
  PNG or JPEG, RGB or grayscale);
- json (sorted keys):
  - "domain": "images"
  - "user_annotation": the input's annotation, its exact text (a JSON file's whole
    content, or a JSONL line); None for an unlabeled real image. Kept byte for byte:
    `sample["user_annotation"].encode()` is the bytes that were read.
  - "source": {"file": path relative to the input folder, "original_hw": [h, w],
    "fit": "crop" | "resize", "box": [top, left, height, width] of the input that the
    image shows} (map a pixel label by (y - top) * H / height, (x - left) * W / width).
"""
