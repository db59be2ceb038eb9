"""The execution-slot pool: bounded concurrency on the CPU, stream round trips on CUDA."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from vsstvun.filter.streams import StreamPool


def test_cpu_slots_bound_concurrency():
    """Two slots can be held at once; a third caller waits until one is given back."""
    pool = StreamPool(torch.device("cpu"), 2)
    third_entered = threading.Event()

    def third() -> None:
        with pool.slot():
            third_entered.set()

    waiter = threading.Thread(target=third)
    with pool.slot() as a, pool.slot() as b:  # would deadlock here if fewer than two slots
        assert a is None and b is None
        waiter.start()
        assert not third_entered.wait(0.2)  # cannot be set while both slots are held
    assert third_entered.wait(5)
    waiter.join(5)


def test_cpu_upload_download_round_trip():
    pool = StreamPool(torch.device("cpu"), 1)
    a = np.random.default_rng(0).random((3, 4, 5), dtype=np.float32)
    with pool.slot() as stream:
        x = pool.upload(a, torch.float32)
        back = pool.download(x * 2, torch.float16, stream)
    assert back.dtype == np.float16
    np.testing.assert_allclose(back, (a * 2).astype(np.float16))


def test_bad_stream_count():
    with pytest.raises(ValueError, match="num_streams"):
        StreamPool(torch.device("cpu"), 0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_slots_use_distinct_streams():
    pool = StreamPool(torch.device("cuda"), 2)
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    with pool.slot() as s1, pool.slot() as s2:
        assert s1 is not None and s2 is not None and s1 != s2
        assert torch.cuda.current_stream() == s2
    with pool.slot() as stream:
        x = pool.upload(a, torch.float16)
        assert x.is_cuda
        np.testing.assert_array_equal(pool.download(x + 1, torch.float32, stream), a + 1)
