"""A name -> builder registry (timm style): entry points register by function name, `create` looks them up
and names the allowed ones when a name is unknown."""

from __future__ import annotations

from typing import Any, Callable

from dscr.config import DscrError


class Registry:
    def __init__(self, kind: str):
        self.kind = kind  # what the entries are, for the error message ("model", "video model")
        self._entries: dict[str, Callable[..., Any]] = {}

    def register(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        self._entries[fn.__name__] = fn
        return fn

    def names(self) -> list[str]:
        return sorted(self._entries)

    def get(self, name: str) -> Callable[..., Any]:
        if name not in self._entries:
            raise DscrError(f"unknown {self.kind} '{name}'; allowed: {', '.join(self.names())}")
        return self._entries[name]

    def create(self, name: str, **kwargs: Any) -> Any:
        return self.get(name)(**kwargs)
