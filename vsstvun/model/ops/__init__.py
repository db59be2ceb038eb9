"""The network's pixel ops: backward warping, the flow-to-time formulas, PWC-Net's correlation,
each with a torch path everywhere and a CuPy kernel on CUDA (``cuda_kernels``)."""
