"""Channel adapters, one module per platform, registered by kind."""

from __future__ import annotations

from importlib import import_module

from .base import Adapter

# kind → module under tingjian.channels.adapters; each module defines ADAPTER.
MODULES = {
    "wechat": "wechat",
    "line": "line",
    "messenger": "messenger",
    "email": "email",
    "webform": "webform",
    "calllog": "calllog",
    "api": "api",
}


def get_adapter(kind: str) -> Adapter:
    if kind not in MODULES:
        raise KeyError(kind)
    module = import_module(f"{__name__}.{MODULES[kind]}")
    adapter: Adapter = module.ADAPTER
    return adapter
