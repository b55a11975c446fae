"""The JSON API and the pages of ``searchlib serve``, through Starlette's test client and a real
uvicorn server: the CLI's --json shapes and error messages, status codes, bounds, escaping of
hostile articles, and indexes rebuilt while serving."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
from markupsafe import escape as html_escape

pytest.importorskip("starlette", reason="needs the serve extra: pip install -e '.[serve]'")

from click.testing import CliRunner
from starlette.testclient import TestClient

import searchlib
from searchlib.cli import cli
from searchlib.serve import create_app
from searchlib.serve.app import MAX_TARGET_BYTES
from searchlib.serve.state import MAX_LIMIT, MAX_QUERY_CHARS

from .conftest import SEEDS
from .serving import HOSTILE_ARTICLES, HOSTILE_IDS, hostile_index, running

DECLARATION = "000_0802c507da2f2354"


@pytest.fixture(scope="module")
def hostile_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile_index(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def app(seeds_index_path: Path, hostile_path: Path, entity_index_path: Path):
    app = create_app([seeds_index_path, hostile_path, entity_index_path])
    assert app.state.catalog.wait(30) == {}
    assert app.state.catalog.names == ["seeds", "ix", "ix-2"]
    return app


@pytest.fixture(scope="module")
def client(app) -> TestClient:
    return TestClient(app)


@pytest.fixture(scope="module")
def live(app):
    """The same app on a real server: the test client decodes %-escapes in paths twice."""
    with running(app) as base:
        yield base


def fetch(base: str, url: str) -> tuple[int, str]:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", url)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        connection.close()


def cli_json(*args: str) -> object:
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def cli_error(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code != 0
    return result.stderr.strip()


# -- the CLI's shapes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "command"),
    [
        ("/api/search?q=Congress&limit=3", ["search", "Congress", "--limit", "3"]),
        (
            "/api/search?q=Declaration&sort=date&page=2&limit=2",
            ["search", "Declaration", "--sort", "date", "--page", "2", "--limit", "2"],
        ),
        (
            "/api/search?q=&person=Ashimbayev&from=2023&to=2025-06",
            ["search", "--person", "Ashimbayev", "--from", "2023", "--to", "2025-06"],
        ),
        ("/api/search?q=Astanna+Declaraton", ["search", "Astanna Declaraton"]),
        ("/api/timeline?q=Congress&freq=month", ["timeline", "Congress", "--freq", "month"]),
        ("/api/timeline?q=Congress&freq=week", ["timeline", "Congress", "--freq", "week"]),
        ("/api/timeline?q=Congress&freq=day", ["timeline", "Congress", "--freq", "day"]),
        (
            "/api/search?q=Declaration&sort=date_asc&limit=3",
            ["search", "Declaration", "--sort", "date_asc", "--limit", "3"],
        ),
        ("/api/timeline?org=Congress", ["timeline", "--org", "Congress"]),
        ("/api/entities?type=person&limit=3", ["entities", "--type", "person", "--limit", "3"]),
        (f"/api/articles/{DECLARATION}", ["show", DECLARATION]),
        (f"/api/similar/{DECLARATION}?limit=3", ["similar", DECLARATION, "--limit", "3"]),
    ],
)
def test_api_answers_as_the_cli_prints_json(client, seeds_index_path, url, command):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    served, printed = response.json(), cli_json(*command, "--index", str(seeds_index_path))
    if isinstance(served, dict) and "took_ms" in served:  # how long each search took
        assert served.pop("took_ms") >= 0 and printed.pop("took_ms") >= 0
    assert served == printed


def test_the_spelling_suggestion_is_searched_when_nothing_matches(client):
    found = client.get("/api/search", params={"q": "Astanna Declaraton"}).json()
    assert found["corrected"] is True and found["suggestion"] == "Astana Declaration"
    assert found["total"] > 0


def test_indexes_are_chosen_by_name_among_those_served(client, hostile_path):
    assert client.get("/api/indexes").json() == [{"name": n} for n in ("seeds", "ix", "ix-2")]
    hostile = client.get("/api/search", params={"index": "ix", "q": "*"}).json()
    assert sorted(hit["id"] for hit in hostile["hits"]) == sorted(HOSTILE_IDS)
    # A path is no name: it is never opened, even the path of a served index.
    response = client.get("/api/search", params={"index": str(hostile_path)})
    assert response.status_code == 404
    assert response.json()["error"]["hint"] == "choose one of: seeds, ix, ix-2"


# -- errors: the CLI's messages, HTTP's status codes ----------------------------------------


@pytest.mark.parametrize(
    ("url", "command", "status", "kind"),
    [
        ("/api/search?q=%22Astana", ["search", '"Astana'], 400, "QuerySyntaxError"),
        ("/api/timeline?q=(Astana", ["timeline", "(Astana"], 400, "QuerySyntaxError"),
        ("/api/search?from=2023-13", ["search", "--from", "2023-13"], 400, "InvalidDateError"),
        ("/api/articles/nope", ["show", "nope"], 404, "ArticleNotFoundError"),
        ("/api/similar/nope", ["similar", "nope"], 404, "ArticleNotFoundError"),
    ],
)
def test_errors_have_the_cli_message_and_hint_and_a_matching_status(
    client, seeds_index_path, url, command, status, kind
):
    response = client.get(url)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["type"] == kind
    # The CLI prints "Error: MESSAGE (HINT)"; it names the index by what it was given.
    shown = cli_error(*command, "--index", str(seeds_index_path))
    assert shown == f"Error: {error['message']} ({error['hint']})".replace(
        "'seeds'", repr(str(seeds_index_path))
    )


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/api/search?index=nope", 404, "no index named 'nope' is served here"),
        ("/api/search?limit=0", 400, "limit must be a whole number from 1 to 50"),
        (f"/api/search?limit={MAX_LIMIT + 1}", 400, "limit must be a whole number"),
        ("/api/search?page=x", 400, "page must be a whole number"),
        ("/api/search?page=1000", 400, "page must be a whole number from 1 to 500"),
        ("/api/search?sort=score", 400, "sort must be one of relevance, date, date_asc"),
        ("/api/timeline?freq=hour", 400, "freq must be one of year, month, week, day"),
        ("/api/entities?type=animal", 400, "type must be one of person, org, place"),
        ("/api/entities/person/Nobody%20Known", 404, "no person named 'Nobody Known'"),
        ("/api/entities/animal/Rex", 404, "'animal' is not a kind of entity"),
        ("/api/nothing", 404, "no page or endpoint at /api/nothing"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(client, url, status, says):
    response = client.get(url)
    assert response.status_code == status
    assert says in response.json()["error"]["message"]
    assert response.json()["error"]["hint"]


def test_queries_urls_and_bodies_are_bounded(client):
    too_long = client.get("/api/search", params={"q": "a" * (MAX_QUERY_CHARS + 1)})
    assert too_long.status_code == 400
    assert "more than the 1,000 allowed" in too_long.json()["error"]["message"]
    assert client.get("/api/search", params={"q": "a " * (MAX_QUERY_CHARS // 2)}).status_code == 200
    huge = client.get("/api/search", params={"q": "x", "person": "p" * MAX_TARGET_BYTES})
    assert huge.status_code == 414
    posted = client.post("/api/search", content=b"q=x" * 100)
    assert posted.status_code == 413
    assert client.request("DELETE", "/api/search").status_code == 405


def test_the_openapi_description_lists_every_endpoint(client):
    described = client.get("/api/openapi.json").json()
    assert described["openapi"].startswith("3.")
    assert set(described["paths"]) == {
        "/api/indexes",
        "/api/search",
        "/api/timeline",
        "/api/entities",
        "/api/entities/{kind}/{name}",
        "/api/articles/{id}",
        "/api/similar/{id}",
    }
    search = described["paths"]["/api/search"]["get"]
    index = next(p for p in search["parameters"] if p["name"] == "index")
    assert index["schema"]["enum"] == ["seeds", "ix", "ix-2"]
    # Each path answers, as described, with JSON.
    for path in described["paths"]:
        concrete = path.replace("{kind}/{name}", "person/Ashimbayev").replace("{id}", DECLARATION)
        assert client.get(concrete).headers["content-type"] == "application/json"


# -- entities --------------------------------------------------------------------------------


def test_entity_profile_has_aliases_count_timeline_and_cooccurrence(client, seeds_index_path):
    profile = client.get("/api/entities/person/maulen ashimbaev").json()  # an alias, any case
    listed = next(
        e
        for e in cli_json("entities", "--type", "person", "--index", str(seeds_index_path))
        if e["name"] == "Maulen Ashimbayev"
    )
    assert profile["name"] == "Maulen Ashimbayev"
    assert profile["aliases"] == listed["aliases"] and profile["count"] == listed["count"]
    assert profile["timeline"] == cli_json(
        "timeline", "--person", "Maulen Ashimbayev", "--index", str(seeds_index_path)
    )
    # Co-occurrence counts the articles that mention both, and never the entity itself.
    with searchlib.open(seeds_index_path) as ix:
        tokayev = next(
            v for v in profile["cooccurring"]["person"] if v["value"].endswith("Tokayev")
        )
        both = ix.search("", person="Maulen Ashimbayev", limit=50).hits
        assert tokayev["count"] == sum(tokayev["value"] in h.entities["person"] for h in both)
    assert "Maulen Ashimbayev" not in [v["value"] for v in profile["cooccurring"]["person"]]


# -- pages -----------------------------------------------------------------------------------


def test_the_search_page_holds_its_whole_state_in_links(client):
    page = client.get("/", params={"q": "Congress", "person": "Maulen Ashimbayev", "limit": 2})
    assert page.status_code == 200
    html = page.text
    assert "Filters:" in html and "person: Maulen Ashimbayev" in html
    # Removing the filter keeps the query; the next page keeps query and filter.
    assert 'href="/?q=Congress&amp;limit=2"' in html
    assert (
        'rel="next" href="/?q=Congress&amp;person=Maulen+Ashimbayev&amp;page=2&amp;limit=2"' in html
    )
    assert 'href="/?q=Congress&amp;person=Maulen+Ashimbayev&amp;sort=date&amp;limit=2"' in html


def test_the_search_page_sorts_oldest_first_and_charts_by_week_or_day(client, seeds_index_path):
    page = client.get("/", params={"q": "*", "sort": "date_asc", "freq": "day"})
    assert page.status_code == 200
    with searchlib.open(seeds_index_path) as ix:
        oldest = ix.search("*", sort="date_asc")
        days = oldest.timeline("day")
        weeks = ix.search("*").timeline("week").counts
    # Hits in the library's order, oldest first, and a link back to newest first.
    found = re.findall(r'href="/article/([^"?]+)', page.text)
    assert list(dict.fromkeys(found))[: len(oldest.hits)] == [hit.id for hit in oldest.hits]
    assert '<strong aria-current="true">oldest</strong>' in page.text
    assert 'href="/?q=%2A&amp;sort=date">newest</a>' in page.text
    # One bar per day of the library's timeline, each filtering on its day.
    bars = re.findall(r'aria-label="(\d{4}-\d\d-\d\d): (\d+)"', page.text)
    assert bars == [(day, str(count)) for day, count in days.counts.items()]
    first = next(iter(days.counts))
    assert f'href="/?q=%2A&amp;from={first}&amp;to={first}&amp;sort=date_asc"' in page.text
    weekly = client.get("/", params={"q": "*", "freq": "week"}).text
    assert re.findall(r'aria-label="(\d{4}-W\d\d): \d+"', weekly) == list(weeks)
    monday = dt.date.fromisocalendar(int(next(iter(weeks))[:4]), int(next(iter(weeks))[6:]), 1)
    assert f"from={monday.isoformat()}&amp;to={monday + dt.timedelta(days=6)}" in weekly
    assert '<strong aria-current="true">week</strong>' in weekly
    wrong = client.get("/", params={"q": "*", "freq": "hour"})
    assert wrong.status_code == 400 and "freq must be one of year, month, week, day" in wrong.text


def test_pages_report_errors_with_the_status_of_the_api(client):
    assert client.get("/", params={"q": '"Astana'}).status_code == 400
    assert "unbalanced quote" in client.get("/", params={"q": '"Astana'}).text
    assert client.get("/article/nope").status_code == 404
    assert client.get("/entity/person/Nobody").status_code == 404
    assert client.get("/", params={"index": "nope"}).status_code == 404


@pytest.mark.parametrize("article", HOSTILE_ARTICLES, ids=range(len(HOSTILE_ARTICLES)))
def test_hostile_ids_titles_and_text_are_text_on_every_page(live, article):
    status, search = fetch(live, "/?index=ix&q=summit")
    assert status == 200
    # The search page links each article by its id, quoted for a path.
    link = "/article/" + quote(article["id"], safe="") + "?index=ix"
    assert link.replace("&", "&amp;") + "&amp;q=summit" in search
    status, page = fetch(live, link)
    assert status == 200, article["id"]
    status, api = fetch(live, "/api/articles/" + quote(article["id"], safe="") + "?index=ix")
    assert json.loads(api)["id"] == article["id"] and json.loads(api)["text"] == article["text"]
    for html in (search, page):
        for raw in ("<script>alert", "<img src=x", "<svg onload", "<a href='javascript", "<i>"):
            assert raw not in html
        assert "{{ 7*7 }}" in html and ">49<" not in html  # shown, not run as a template
        assert "\x1b" not in html
    assert html_escape(article["title"]) in page


def test_hostile_entity_names_are_text_and_links_to_their_pages(client):
    html = client.get("/", params={"index": "ix-2", "q": "summit"}).text
    assert "<b>Eve</b>" not in html and "&lt;b&gt;Eve&lt;/b&gt;" in html
    assert "Acme &amp; Co" in html
    assert "/entity/person/%3Cb%3EEve%3C%2Fb%3E?index=ix-2" in html
    profile = client.get("/entity/person/%3Cb%3EEve%3C%2Fb%3E", params={"index": "ix-2"})
    assert profile.status_code == 200 and "<b>Eve</b>" not in profile.text


def test_every_response_carries_a_content_security_policy(client):
    for url in ("/", "/api/search", "/static/style.css", "/nothing"):
        policy = client.get(url).headers["content-security-policy"]
        assert "script-src 'self'" in policy and "default-src 'none'" in policy


def test_static_files_come_from_memory_not_from_a_path(client):
    assert client.get("/static/style.css").status_code == 200
    for path in ("/static/../app.py", "/static/%2e%2e%2fapp.py", "/static/app.py"):
        assert client.get(path).status_code == 404


# -- indexes that are built or rebuilt while serving -----------------------------------------


def test_an_index_locked_for_its_first_build_answers_503_until_it_is_ready(project):
    started, release = threading.Event(), threading.Event()

    def held(done: int, total: int) -> None:
        started.set()
        release.wait(30)

    first = threading.Thread(target=searchlib.build, args=("seeds",), kwargs={"progress": held})
    first.start()
    assert started.wait(60), "the first build did not start"
    try:
        client = TestClient(create_app(["seeds"]))
        for url in ("/api/search?q=Congress", "/"):
            busy = client.get(url)
            assert busy.status_code == 503 and busy.headers["retry-after"] == "5"
        assert "is being built for the first time" in busy.text
    finally:
        release.set()
        first.join(60)
    client.app.state.catalog.wait(60)
    answer = client.get("/api/search?q=Congress")
    if answer.status_code == 503:
        # On a loaded machine the server's own open can give up waiting for the first build's
        # lock before that build ends: the next request opens it again.
        client.app.state.catalog.wait(60)
        answer = client.get("/api/search?q=Congress")
    assert answer.json()["total"] == 5


def test_an_index_rebuilt_while_serving_is_picked_up_without_errors(tmp_path):
    sources = tmp_path / "articles"
    shutil.copytree(SEEDS, sources)
    path = tmp_path / "ix"
    searchlib.build(path, [sources])
    app = create_app([path])
    statuses: list[int] = []
    stop = threading.Event()

    def ask(base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        while not stop.is_set():
            connection = http.client.HTTPConnection(host, int(port), timeout=30)
            connection.request("GET", "/api/search?q=summit+OR+Congress&limit=3")
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
            connection.close()

    with running(app) as base:
        askers = [threading.Thread(target=ask, args=(base,)) for _ in range(4)]
        for asker in askers:
            asker.start()
        try:
            for number in range(3):
                extra = sources / f"new_{number}.txt"
                extra.write_text(f"A summit number {number} of the Congress.\n", "utf-8")
                searchlib.build(path, [sources])
        finally:
            stop.set()
            for asker in askers:
                asker.join(30)
        final = TestClient(app).get("/api/search", params={"q": "summit number"}).json()
    assert statuses and set(statuses) == {200}
    assert {hit["id"] for hit in final["hits"]} >= {f"new_{n}" for n in range(3)}
