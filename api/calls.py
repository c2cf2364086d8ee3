"""Running application commands from async handlers: threads, envelopes, read-your-writes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from litestar import Request

from adapters.bootstrap import Container
from api.auth import Caller, caller_of, state_of
from application.base import CommandMeta

T = TypeVar("T")


def container_of(request: Request[Any, Any, Any]) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


def meta_of(request: Request[Any, Any, Any]) -> CommandMeta:
    """The envelope of a call: who (the caller) and which call (the request id)."""
    caller: Caller = caller_of(request)
    return CommandMeta(actor=caller.actor, command_id=state_of(request).get("request_id"))


async def in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """eventsourcing is synchronous: commands and view queries run in worker threads."""
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))


async def settle(request: Request[Any, Any, Any], position: int, views: list[str],
                 application: str = "tenancy") -> None:
    """Wait (bounded) until ``views`` show a command's events before answering it."""
    if position:
        await in_thread(container_of(request).wait_for, {application: position}, views)
