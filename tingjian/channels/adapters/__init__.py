"""Channel adapters, one module per platform (a package once it grows), registered by kind.

``platform_http`` holds the HTTP pieces the WeChat, LINE and Messenger adapters share.
"""

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
