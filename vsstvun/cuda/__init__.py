"""CuPy CUDA kernels for the GPU path (imported only when CUDA and CuPy are present)."""
