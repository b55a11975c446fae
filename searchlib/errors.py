"""Exception types of searchlib; each carries a hint that tells the user what to do next."""

from __future__ import annotations


class SearchlibError(Exception):
    """Base class: a problem searchlib can explain to its user (the command line maps each type
    to an exit code)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class IndexNotFoundError(SearchlibError):
    """No index definition or built index answers to the given name or path."""


class NotAnIndexError(IndexNotFoundError):
    """The folder given as an index holds files that are not a searchlib index's: a build
    refuses to write there (it would clean up what it did not make)."""


class ArticleNotFoundError(SearchlibError):
    """No article in the index has the given id."""


class IndexDamagedError(SearchlibError):
    """The index folder exists but cannot be read: damaged, partial or from another version."""


class IndexLockedError(SearchlibError):
    """Another process holds the index's write lock."""


class QuerySyntaxError(SearchlibError):
    """The query string cannot be parsed (for example an unbalanced quote)."""


class InvalidDateError(SearchlibError):
    """A date given as a filter is not YYYY, YYYY-MM or YYYY-MM-DD."""


class SourceError(SearchlibError):
    """A source path given by the user does not exist or cannot be read at all."""


class MissingExtraError(SearchlibError, ImportError):
    """An optional dependency is not installed; the hint names the extra that provides it.

    It is also an :class:`ImportError`, so code that guards optional imports catches it.
    """


class SourceProblemError(SearchlibError):
    """A strict build met a file or record it could not read, and stopped without changes."""


class SourceChangedError(SearchlibError):
    """A source file changed while a build was reading it; the index was not changed."""

    @classmethod
    def of(cls, path: object, during: str) -> SourceChangedError:
        """The error for ``path``, which changed ``during`` ("while it was being read")."""
        return cls(
            f"{path} changed {during}",
            "build again once the sources are no longer being written; the index was not changed",
        )
