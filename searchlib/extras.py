"""Optional dependencies (pandas, matplotlib): imported on first use, or a clear way to get them."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingExtraError


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtraError` saying which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingExtraError(
            f"{feature} needs {module.split('.')[0]}, which is not installed",
            f"pip install 'searchlib[{extra}]'",
        ) from error
