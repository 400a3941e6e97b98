"""Arrays passed between batch processes through in-memory files instead of pipes.

Every worker of a run has an in-memory file (``memfd_create``), made by the
parent before forking, so every process holds every file.  A worker appends
arrays to its own file (:func:`append_arrays`, one ``pwritev``) and sends only
their *layout* (dtype, shape, offset) through its pipe; the reader maps the
file and takes the arrays as read-only views of it (:func:`view_arrays`): one
copy in all, where pickling through a pipe costs three (pickle, the pipe,
unpickle) and a hop per 64 KiB.  A file is only ever appended to, so a view
handed out stays valid for as long as it is referred to (the mapping lives
with the views).
"""

from __future__ import annotations

import mmap
import os
from typing import Any, Sequence

import numpy as np

ALIGN = 64                      # every array starts on a cache line
IOV_MAX = 1024                  # at most this many buffers per pwritev

Layout = tuple[str, tuple[int, ...], int]      # (dtype, shape, offset in the file)


def append_arrays(fd: int, offset: int, arrays: Sequence[Any]) -> tuple[list[Layout], int]:
    """Write ``arrays`` (NumPy arrays or bytes-like) to ``fd`` from ``offset`` on, each aligned.

    Returns their layouts and the offset after the last one (where the next append starts).
    """
    buffers: list[memoryview] = []
    layouts: list[Layout] = []
    position = offset
    for value in arrays:
        array = np.ascontiguousarray(np.frombuffer(value, dtype=np.uint8) if not isinstance(value, np.ndarray)
                                     else value)
        pad = -position % ALIGN
        if pad:
            buffers.append(memoryview(bytes(pad)))
            position += pad
        layouts.append((array.dtype.str, array.shape, position))
        if array.nbytes:
            buffers.append(memoryview(array.reshape(-1)).cast("B"))
            position += array.nbytes
    at = offset
    for start in range(0, len(buffers), IOV_MAX):
        chunk = buffers[start:start + IOV_MAX]
        size = sum(buffer.nbytes for buffer in chunk)
        written = os.pwritev(fd, chunk, at)
        if written < size:                                     # short write: the rest one by one
            data = memoryview(b"".join(chunk))
            while written < size:
                written += os.pwrite(fd, data[written:], at + written)
        at += size
    return layouts, position


def view_arrays(fd: int, layouts: Sequence[Layout], end: int) -> list[np.ndarray]:
    """The arrays ``append_arrays`` wrote (``layouts``, all before ``end``), as read-only views."""
    size = os.fstat(fd).st_size
    if size < end:
        raise RuntimeError(f"a batch worker's in-memory file holds {size} bytes, {end} expected")
    if not end:
        return [np.zeros(shape, dtype=dtype) for dtype, shape, _ in layouts]
    mapped = mmap.mmap(fd, end, prot=mmap.PROT_READ)
    return [np.frombuffer(mapped, dtype=dtype, count=count, offset=offset).reshape(shape) if count
            else np.zeros(shape, dtype=dtype)
            for dtype, shape, offset, count in ((*layout, int(np.prod(layout[1]))) for layout in layouts)]
