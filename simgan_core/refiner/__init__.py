"""SimGAN (Shrivastava et al., CVPR 2017): refiner, discriminator, losses, history buffer,
the alternating training schedule, and a resumable index stream to feed it.

Pure torch: typed configs in, tensors and dicts of floats out; no I/O.
"""
