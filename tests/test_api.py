"""The public API: listed in __all__, typed (py.typed) and documented."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import searchlib


def public_members():
    """Public modules, and the classes, functions, methods and properties they define."""
    for info in pkgutil.walk_packages(searchlib.__path__, "searchlib."):
        module = importlib.import_module(info.name)
        yield module.__name__, module
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f"{module.__name__}.{name}", obj
            if inspect.isclass(obj):
                for attribute, member in vars(obj).items():
                    if attribute.startswith("_"):
                        continue
                    if isinstance(member, (classmethod, staticmethod)):
                        member = member.__func__
                    if inspect.isfunction(member) or isinstance(member, property):
                        yield f"{module.__name__}.{name}.{attribute}", member


def test_every_public_name_has_a_docstring():
    # __doc__ itself, not inspect.getdoc: that would accept a docstring inherited from a base.
    members = dict(public_members())
    assert len(members) > 50
    undocumented = [name for name, obj in members.items() if not (obj.__doc__ or "").strip()]
    assert undocumented == []


def test_all_lists_the_public_api():
    assert sorted(searchlib.__all__) == sorted(set(searchlib.__all__))
    for name in searchlib.__all__:
        assert getattr(searchlib, name) is not None, name
    for name in ("Timeline", "MissingExtraError", "Results", "Hit", "Index", "open", "build"):
        assert name in searchlib.__all__


def test_package_is_marked_as_typed():
    assert (importlib.resources.files("searchlib") / "py.typed").is_file()
