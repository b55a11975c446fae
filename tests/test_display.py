"""Notebook display: results and hits as HTML; article text is escaped, only our markup is live."""

from __future__ import annotations

from html.parser import HTMLParser

import searchlib
from searchlib.present.html import results_html

# The only tags and attributes searchlib's HTML may contain.
OUR_TAGS = {"style", "div", "ol", "li", "span", "code", "mark", "b"}
OUR_ATTRIBUTES = {"class", "start", "style", "title"}


class Page(HTMLParser):
    """Parses rendered HTML the way a browser tokenizes it: tags, attributes and visible text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.marked: list[str] = []
        self.chips: list[tuple[str | None, str]] = []
        self._open: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if not self._open:
            self.text.append(data)
            return
        tag, attrs = self._open[-1]
        if tag == "style":
            return
        self.text.append(data)
        if tag == "mark":
            self.marked.append(data)
        if attrs.get("class") == "sl-chip":
            self.chips.append((attrs.get("title"), data))

    @property
    def visible(self) -> str:
        return "".join(self.text)


def assert_only_our_markup(page: Page) -> None:
    for tag, attrs in page.tags:
        assert tag in OUR_TAGS, f"unexpected <{tag}> in the HTML"
        assert set(attrs) <= OUR_ATTRIBUTES, f"unexpected attributes {attrs} on <{tag}>"


def test_article_markup_is_shown_as_text_and_never_runs(entity_ix):
    results = entity_ix.search("summit")
    hostile = next(hit for hit in results.hits if hit.id == "xss-1")
    for html in (results._repr_html_(), hostile._repr_html_()):
        page = Page(html)
        assert_only_our_markup(page)
        assert "<script>alert(1)</script> Summit in Astana" in page.visible
        assert 'said <img src=x onerror="alert(1)"> the' in page.visible
        assert "<b>bold</b>" in page.visible  # the article's own tags, as text
        assert "Astana & Almaty" in page.visible
        assert "<script" not in html and "<img" not in html


def test_only_query_words_are_marked(entity_ix):
    page = Page(entity_ix.search("summit closed")._repr_html_())
    assert page.marked and {word.lower() for word in page.marked} <= {"summit", "closed"}
    assert_only_our_markup(page)


def test_results_show_rank_title_date_snippet_and_facets(ix):
    results = ix.search("Astana Declaration", limit=2)
    page = Page(results._repr_html_())
    assert_only_our_markup(page)
    assert page.visible.startswith("4 articles for “Astana Declaration” · page 1 of 2")
    top = results.hits[0]
    assert top.title in page.visible and top.id in page.visible and "undated" in page.visible
    assert results.hits[1].date in page.visible
    assert page.marked and all(word in {"Astana", "Declaration"} for word in page.marked)
    ol = next(attrs for tag, attrs in page.tags if tag == "ol")
    assert ol["start"] == "1"
    # The year facet over all four matches, not only the two hits shown.
    assert ("year", "2025 (2)") in page.chips and ("year", "2023 (1)") in page.chips


def test_second_page_numbers_from_its_first_rank(ix):
    page = Page(ix.search("Kazakhstan", limit=2, page=2)._repr_html_())
    assert next(attrs for tag, attrs in page.tags if tag == "ol")["start"] == "3"


def test_entities_show_as_chips_when_present(entity_ix):
    results = entity_ix.search("summit", limit=5)
    hit = next(h for h in results.hits if h.id == "xss-1")
    page = Page(hit._repr_html_())
    assert ("person", "<b>Eve</b>") in page.chips  # escaped, shown as text
    assert ("person", "Kassym-Jomart Tokayev") in page.chips
    assert ("org", "Acme & Co") in page.chips
    assert_only_our_markup(page)
    facets = Page(results._repr_html_()).chips
    assert ("person", "Kassym-Jomart Tokayev (2)") in facets
    assert any(kind == "place" and chip.startswith("Almaty (") for kind, chip in facets)


def test_no_chips_without_entities(tmp_path):
    docs = tmp_path / "plain.jsonl"
    docs.write_text('{"id": "p1", "title": "", "text": "no names in this lower-case note."}\n')
    searchlib.build(tmp_path / "ix", [docs])
    html = searchlib.open(tmp_path / "ix").search("note")._repr_html_()
    assert all(kind == "year" for kind, _ in Page(html).chips)
    assert "sl-entities" not in html


def test_hand_made_results_render(ix):
    hit = searchlib.Hit(
        rank=1,
        id="a<1>",
        title="T & <i>U</i>",
        date=None,
        score=1.0,
        snippet="the **word** <here>",
        entities={"person": ["Ann"], "org": [], "place": []},
    )
    empty = searchlib.Results("q", 0, 1, 10, [], {"year": []})
    page = Page(results_html(searchlib.Results('"q"', 1, 1, 10, [hit], {})))
    assert_only_our_markup(page)
    assert "T & <i>U</i>" in page.visible and "the **word** <here>" in page.visible
    assert ("person", "Ann") in page.chips
    assert Page(empty._repr_html_()).visible.startswith("0 articles for “q”")
