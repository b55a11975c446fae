"""Exception types of searchlib; each carries a hint that tells the user what to do next."""

from __future__ import annotations

EXIT_FAILURE = 1
EXIT_USAGE = 2


class SearchlibError(Exception):
    """Base class: a problem searchlib can explain to its user.

    ``exit_code`` is what the CLI exits with: 2 for a mistake in how it was called,
    1 for a failure of the work itself.
    """

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class IndexNotFoundError(SearchlibError):
    """No index definition or built index answers to the given name or path."""

    exit_code = EXIT_USAGE


class ArticleNotFoundError(SearchlibError):
    """No article in the index has the given id."""

    exit_code = EXIT_USAGE


class IndexDamagedError(SearchlibError):
    """The index folder exists but cannot be read: damaged, partial or from another version."""


class IndexLockedError(SearchlibError):
    """Another process holds the index's write lock."""


class QuerySyntaxError(SearchlibError):
    """The query string cannot be parsed (for example an unbalanced quote)."""

    exit_code = EXIT_USAGE


class InvalidDateError(SearchlibError):
    """A date given as a filter is not YYYY, YYYY-MM or YYYY-MM-DD."""

    exit_code = EXIT_USAGE


class SourceError(SearchlibError):
    """A source path given by the user does not exist or cannot be read at all."""

    exit_code = EXIT_USAGE


class MissingExtraError(SearchlibError, ImportError):
    """An optional dependency is not installed; the hint names the extra that provides it.

    It is also an :class:`ImportError`, so code that guards optional imports catches it.
    """


class SourceProblemError(SearchlibError):
    """A strict build met a file or record it could not read, and stopped without changes."""


class SourceChangedError(SearchlibError):
    """A source file changed while a build was reading it; the index was not changed."""
