"""Engine: the one seam to the index files, Whoosh and the numpy sidecar behind one protocol.

Nothing outside this package imports Whoosh or reads the sidecar. The search layer
(:mod:`searchlib.search`) opens one :class:`Engine` per generation with :func:`open_engine` and
asks it to parse, rank, count facets and read stored articles; it never sees how.

``engine="whoosh"`` answers everything with Whoosh's matchers (phrases of the title and body
from the sidecar's positions, which Whoosh does not keep); ``engine="sidecar"`` answers
bag-of-words queries, filters and facets from the impact sidecar with numpy and hands the rest
(phrases, prefixes, ``title:``) to Whoosh; ``engine="auto"`` is the sidecar when the generation
has a current one, else Whoosh. Both give the same results (``tests/test_impacts.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping
    from pathlib import Path

    import numpy as np

    from ..model import Contribution, FacetValue
    from .facets import FacetColumns
    from .spelling import Candidate

ENGINES = ("auto", "whoosh", "sidecar")


@dataclass(frozen=True)
class Request:
    """What a search asks for besides the query: which page, in what order, with what."""

    limit: int
    page: int
    sort: str
    facet_limit: int
    explain: bool
    snippets: bool

    @property
    def wanted(self) -> int:
        """How many hits the pages up to this one hold."""
        return self.page * self.limit

    @property
    def first(self) -> int:
        """The rank of this page's first hit."""
        return self.wanted - self.limit + 1


class Ranked(NamedTuple):
    """An engine's answer: the page's ``(docnum, score)`` pairs, how many articles matched,
    the query as ranked (with feedback terms), the facets of every match and a function that
    counts their dates."""

    scored: list[tuple[int, float]]
    total: int
    ranked: Any
    facets: dict[str, list[FacetValue]]
    dates: Callable[[], Any]


class Engine(Protocol):
    """One generation of an index, searchable from any thread."""

    name: str

    def parse(self, text: str, variants: Callable[[str, str], list[str] | None]) -> Any:
        """The engine's query for the user's query ``text``."""

    def filter(self, date_from: Any, date_to: Any, entities: Mapping[str, Any]) -> Any:
        """The engine's filter for dates and entity names (``None``: nothing filtered)."""

    def run(self, parsed: Any, flt: Any, asked: Request) -> Ranked:
        """Rank the matches of a query within a filter."""

    def terms(self, parsed: Any) -> set[str]:
        """The words of a query that snippets highlight."""

    def explain(self, parsed: Any, docnum: int) -> list[Contribution]:
        """What each clause of a query adds to an article's score."""

    def similar(self, docnum: int, limit: int, terms: int) -> tuple[list[tuple[int, float]], Any]:
        """The articles most like one, and the query of its distinctive words."""

    def frequency(self, term: str) -> int:
        """How many articles hold an analysed word."""

    def candidates(self, forms: Iterable[str], edits: int) -> list[Candidate]:
        """The index's words, as written, within some edits of a typed word's forms."""

    def together(self, terms: list[str], others: list[str]) -> tuple[list[int], int]:
        """How many articles hold each term and any of the others; how many any of them."""

    def counts(self, docnums: Any, most: int) -> tuple[dict[str, list[FacetValue]], Any]:
        """The facets of some articles and a function that counts their dates."""

    def facet_columns(self) -> FacetColumns:
        """The generation's facet columns (also the canonical name of each entity name)."""

    def stored(self, docnum: int) -> dict[str, Any]:
        """An article's stored fields by number."""

    def docnum(self, article_id: str) -> int | None:
        """An article's number by id."""

    def article_ids(self) -> np.ndarray:
        """Every article's id by number (``""`` for a deleted one), at once."""

    def document(self, article_id: str) -> dict[str, Any] | None:
        """An article's stored fields by id."""

    def iter_stored(self) -> Iterator[dict[str, Any]]:
        """Every live article's stored fields."""

    def doc_count(self) -> int:
        """How many live articles."""

    def stats(self) -> dict[str, Any]:
        """Counts of articles, dates and terms."""

    def close(self) -> None:
        """Let go of this thread's reader."""


def open_engine(
    folder: Path,
    generation: str,
    names: Callable[[], Mapping[str, Mapping[str, str]]],
    engine: str = "auto",
) -> Engine:
    """Open generation ``folder`` with the engine asked for (see the module's docstring).
    ``names`` gives the entity table's names, called only for a generation whose facet
    columns were not saved with it (see :func:`save_facet_columns`).

    Raises ``LookupError`` for ``engine="sidecar"`` when the generation has no current sidecar,
    and lets Whoosh's own errors through for a damaged index.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    from .whoosh.imports import import_whoosh

    import_whoosh()
    from .whoosh.searcher import WhooshEngine

    if engine == "whoosh":
        return WhooshEngine(folder, names, generation)
    from .sidecar.scorer import SidecarEngine

    try:
        return SidecarEngine(folder, names, generation)
    except LookupError:
        if engine == "sidecar":
            raise
    return WhooshEngine(folder, names, generation)


def save_facet_columns(
    folder: Path, generation: str, names: Mapping[str, Mapping[str, str]]
) -> None:
    """Save the facet columns of a generation just written, with its entity table's
    ``names``: opening it reads them instead of joining every article's names again."""
    from .facets import PREFIX

    for saved in folder.glob(f"{PREFIX}*"):
        saved.unlink()  # (any of an earlier build of this folder)
    opened = open_engine(folder, generation, lambda: names)
    try:
        opened.facet_columns().save(folder, generation)
    finally:
        opened.close()


def raised_inside(error: BaseException) -> bool:
    """True when ``error`` came from inside the engine's libraries (a damaged index file), or
    is an id out of range in the sidecar's arrays (``index check --deep`` names the file)."""
    from .whoosh.searcher import raised_inside as inside_whoosh

    return inside_whoosh(error) or (isinstance(error, IndexError) and _in_sidecar(error))


def _in_sidecar(error: BaseException) -> bool:
    sidecar = str(Path(__file__).parent / "sidecar")
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next  # the innermost frame: where the id was used
    return tb is not None and tb.tb_frame.f_code.co_filename.startswith(sidecar)
