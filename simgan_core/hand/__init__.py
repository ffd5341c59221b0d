"""The hand-pose domain: NYU-format depth frames in, 16-bit depth crops out.

Canonical hand sample (the `HAND` domain in simgan_core/hand/spec.py):
- png: 16-bit grayscale, (S, S) with S = the crop size (64 by default, 224 paper);
  stored value 0..65535 = depth normalized to [-1, 1] within a metric cube centred
  on the palm-centre joint (near face -1, far face +1); holes and background are
  the back of the cube (+1 = 65535).
- json (sorted keys, like gaze):
  - "domain": "hand"
  - "joints_uv": (14, 2) the evaluated joints (joints.EVAL_JOINTS order) in crop
    pixels, float, origin at the crop's top-left pixel corner;
  - "joints_xyz_mm": (14, 3) the same joints in the camera frame, mm, y up (NYU);
  - "cube_mm": edge of the crop cube in mm (float);
  - "center_uvd": palm-centre joint in the full frame: (u px, v px, d mm);
  - "provenance": {"source": "nyu_synthdepth" | "nyu_depth", "file": ..., "frame": N,
    "kinect": K}
"""
