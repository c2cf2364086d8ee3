"""A loopback server in a process of its own, for benchmarks: its work stays off the
benchmarked process's GIL. The server publishes its port in a shared value once it listens."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable
from multiprocessing.sharedctypes import Synchronized
from types import TracebackType
from typing import Self


class LoopbackProcess:
    WHAT = "loopback server"  # for the error when it does not start

    def __init__(self, target: Callable[..., None], *shared: Synchronized) -> None:  # type: ignore[type-arg]
        ctx = mp.get_context("spawn")  # no fork of a process with threads and pools
        self._port: Synchronized = ctx.Value("i", 0)  # type: ignore[type-arg]
        self._process = ctx.Process(target=target, args=(*shared, self._port), daemon=True)

    @staticmethod
    def counter() -> Synchronized:  # type: ignore[type-arg]
        return mp.get_context("spawn").Value("q", 0)

    @property
    def port(self) -> int:
        return int(self._port.value)

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def __enter__(self) -> Self:
        self._process.start()
        for _ in range(1000):
            if self._port.value or not self._process.is_alive():
                break
            self._process.join(timeout=0.01)
        if not self._port.value:
            self._process.kill()
            raise RuntimeError(f"the benchmark {self.WHAT} did not start")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._process.terminate()
        self._process.join(timeout=5)

