"""Index folders as the OS sees them: room for the file descriptors of many segments."""

from __future__ import annotations


def allow_open_files(segments: int) -> None:
    """Raise this process's soft limit of open files, up to its hard limit, to leave room for
    readers of an index of ``segments`` segments.

    A reader holds one descriptor per segment: Whoosh closes the file once it is mapped, but
    Python's ``mmap`` keeps a duplicate of the descriptor. An index of a million articles has
    about a thousand segments, each thread has its own searcher, and a build switching
    generations briefly keeps two; the usual soft limit, 1024, would turn the next ``open``
    into "Too many open files" (reported as a damaged index). The hard limit is usually far
    higher (524288 under systemd), and raising the soft one up to it is what it is for."""
    try:
        import resource
    except ImportError:  # not on Windows, which has no such limit for files
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1024 + 4 * segments
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
