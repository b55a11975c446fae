"""Whoosh imported without the three modules its import pulls in and a search never uses.

Importing ``whoosh.query`` and ``whoosh.searching`` also imports ``urllib.request`` (with
``http.client``, ``ssl`` and ``email``: ``whoosh.compat`` takes ``urlretrieve`` from it),
``asyncio`` (the ``cached_property`` package, for one property of ``whoosh.reading``) and
``whoosh.lang.morph_en`` (about a hundred regular expressions compiled at import, for the
``Variations`` query searchlib never builds): a third of Whoosh's import time, and of a cold
``search``'s. :func:`import_whoosh` imports Whoosh with stand-ins for those three names, each
doing what the original would when used, and takes the stand-ins out of ``sys.modules`` at once,
so any later import of them gets the real module.
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
import types
from typing import Any

_imported = False
_importing = threading.Lock()


def _deferred(module: str, name: str) -> Any:
    """A function that imports ``module`` when first called and calls its ``name``."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


def _stand_ins() -> dict[str, types.ModuleType]:
    """Stand-in modules for those not imported yet, each with the one name Whoosh takes."""
    wanted = {
        "urllib.request": ("urlretrieve", _deferred("urllib.request", "urlretrieve")),
        # The package's property and the standard library's both compute a value on first
        # access and keep it in the instance's __dict__; the package only adds coroutines.
        "cached_property": ("cached_property", functools.cached_property),
        "whoosh.lang.morph_en": ("variations", _deferred("whoosh.lang.morph_en", "variations")),
    }
    stand_ins = {}
    for module, (name, value) in wanted.items():
        if module not in sys.modules:
            stand_in = types.ModuleType(module, "searchlib's stand-in while Whoosh is imported")
            setattr(stand_in, name, value)
            stand_ins[module] = stand_in
    return stand_ins


def import_whoosh() -> None:
    """Import the Whoosh modules a search uses, once per process (see the module docstring).
    When Whoosh is imported already, nothing changes."""
    global _imported
    if _imported:
        return
    with _importing:
        if _imported or "whoosh.query" in sys.modules:
            _imported = True
            return
        stand_ins = _stand_ins()
        sys.modules.update(stand_ins)
        try:
            importlib.import_module("whoosh.query")
            importlib.import_module("whoosh.searching")
        finally:
            for module, stand_in in stand_ins.items():
                if sys.modules.get(module) is stand_in:
                    del sys.modules[module]
        _imported = True
