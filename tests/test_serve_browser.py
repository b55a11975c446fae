"""``searchlib serve`` as people use it: a real headless Chromium (Debian's chromium and
chromium-driver, installed by .ci/run) driven by Selenium against a real uvicorn server.

Covers searching, filtering and removing a filter, paging by keyboard, the article and entity
pages, a phone-width window and the hostile-text page; takes the README's screenshot, saved in
docs/serve.png when ``SEARCHLIB_UPDATE_SCREENSHOT=1`` (so a test run leaves the checkout clean).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

pytest.importorskip("starlette", reason="needs the serve extra: pip install -e '.[serve]'")
pytest.importorskip("selenium", reason="needs selenium: pip install -e '.[dev]'")
if not Path("/usr/bin/chromium").exists():
    pytest.skip(
        "needs Debian's chromium and chromium-driver: apt-get install chromium chromium-driver",
        allow_module_level=True,
    )

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from searchlib.serve import create_app

from .conftest import ROOT
from .serving import HOSTILE_ARTICLES, hostile_index, running

pytestmark = pytest.mark.slow
SCREENSHOT = ROOT / "docs" / "serve.png"
# Without these, Chromium on a machine without network spends seconds on updates and sync.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def base(tmp_path_factory, seeds_index_path, entity_index_path):
    hostile = hostile_index(tmp_path_factory.mktemp("hostile"))
    app = create_app([seeds_index_path, hostile, entity_index_path])
    assert app.state.catalog.wait(30) == {}
    with running(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    profile = tempfile.mkdtemp(prefix="chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    driver.set_window_size(1200, 900)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def params(driver: WebDriver) -> dict[str, list[str]]:
    return parse_qs(urlsplit(driver.current_url).query)


def wait_for_url(driver: WebDriver, test) -> None:
    WebDriverWait(driver, 10).until(lambda d: test(params(d)))


def total(driver: WebDriver) -> str:
    return driver.find_element(By.ID, "total").text


def test_search_then_filter_by_a_facet_and_remove_the_filter(browser, base):
    browser.get(base + "/")
    browser.find_element(By.TAG_NAME, "body").send_keys("/")  # the shortcut to the box
    assert browser.switch_to.active_element.get_attribute("id") == "q"
    browser.switch_to.active_element.send_keys("Congress", Keys.ENTER)
    wait_for_url(browser, lambda p: p.get("q") == ["Congress"])
    assert total(browser).startswith("5 articles for “Congress”")
    marks = browser.find_elements(By.CSS_SELECTOR, ".hit .snippet mark")
    assert marks and all(m.text.lower() == "congress" for m in marks)

    browser.find_element(By.CSS_SELECTOR, "#facet-year li a").click()  # the first year
    wait_for_url(browser, lambda p: "from" in p and p["from"] == p["to"])
    year = params(browser)["from"][0]
    dates = [m.text[:4] for m in browser.find_elements(By.CSS_SELECTOR, ".hit .meta")]
    assert dates and set(dates) == {year}

    browser.find_element(By.LINK_TEXT, "Kassym-Jomart Tokayev").click()
    wait_for_url(browser, lambda p: p.get("person") == ["Kassym-Jomart Tokayev"])
    chips = browser.find_elements(By.CSS_SELECTOR, ".filters .chip")
    assert [c.text.split(" ×")[0] for c in chips] == [
        "person: Kassym-Jomart Tokayev",
        f"date: {year} – {year}",
    ]
    for hit in browser.find_elements(By.CSS_SELECTOR, ".hit"):
        assert "Kassym-Jomart Tokayev" in hit.find_element(By.CSS_SELECTOR, ".chips").text

    chips[0].click()  # remove the person, keep the year and the query
    wait_for_url(browser, lambda p: "person" not in p)
    # (The form names the index: several are served, so the page shows a picker.)
    assert params(browser) == {"q": ["Congress"], "index": ["seeds"], "from": [year], "to": [year]}


def test_pages_by_link_and_by_arrow_keys_with_the_state_in_the_url(browser, base):
    browser.get(base + "/?q=Congress&limit=2&sort=date")
    assert "page 1 of 3" in total(browser)
    first = [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".hit h2")]
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    wait_for_url(browser, lambda p: p.get("page") == ["2"])
    assert "page 2 of 3" in total(browser)
    second = [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".hit h2")]
    assert len(second) == 2 and not set(first) & set(second)
    browser.find_element(By.LINK_TEXT, "3").click()
    wait_for_url(browser, lambda p: p.get("page") == ["3"])
    assert (
        params(browser)["sort"] == ["date"]
        and len(browser.find_elements(By.CSS_SELECTOR, ".hit")) == 1
    )
    browser.find_element(By.CSS_SELECTOR, 'a[rel="prev"]').click()
    wait_for_url(browser, lambda p: p.get("page") == ["2"])
    # The URL alone brings the same page back (bookmarks, shared links).
    browser.get(browser.current_url)
    assert [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".hit h2")] == second


def test_the_article_page_highlights_the_query_and_links_entities(browser, base):
    browser.get(base + "/?q=Declaration")
    title = browser.find_element(By.CSS_SELECTOR, ".hit h2 a")
    expected = title.text
    title.click()
    WebDriverWait(browser, 10).until(lambda d: "/article/" in d.current_url)
    assert browser.find_element(By.TAG_NAME, "h1").text == expected.rstrip("…")[: len(expected)]
    marks = browser.find_elements(By.CSS_SELECTOR, ".text mark")
    assert marks and {m.text.lower() for m in marks} <= {"declaration", "declarations"}
    assert browser.find_elements(By.CSS_SELECTOR, ".similar li a")
    place = browser.find_element(By.CSS_SELECTOR, ".article .chip.place")
    name = place.text
    place.click()
    wait_for_url(browser, lambda p: p.get("place") == [name])
    assert browser.find_elements(By.CSS_SELECTOR, ".hit")


def test_the_entity_page_shows_aliases_timeline_and_cooccurring_entities(browser, base):
    browser.get(base + "/?q=")
    browser.find_element(
        By.CSS_SELECTOR, '#facet-person a.more[title="About Maulen Ashimbayev"]'
    ).click()
    WebDriverWait(browser, 10).until(lambda d: "/entity/person/" in d.current_url)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Maulen Ashimbayev"
    aliases = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".alias")]
    assert "Ashimbayev" in aliases
    assert browser.find_element(By.ID, "entity-articles").text == "5 articles"
    assert len(browser.find_elements(By.CSS_SELECTOR, ".histogram rect")) >= 2
    other = browser.find_element(By.CSS_SELECTOR, "#with-person li a")
    name = other.text
    other.click()
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == name)
    assert "Maulen Ashimbayev" in browser.find_element(By.ID, "with-person").text


def test_hostile_text_is_shown_as_text_and_never_runs(browser, base):
    for url in ("/?index=ix&q=summit", "/?index=ix-2&q=summit"):
        browser.get(base + url)
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text  # noqa: B018 - an alert would mean injected script ran
        scripts = browser.execute_script(
            "return [...document.scripts].map(s => s.getAttribute('src'))"
        )
        assert scripts == ["/static/keys.js"]
        assert not browser.find_elements(By.CSS_SELECTOR, "main img, main svg[onload], main i")
    browser.get(base + "/?index=ix&q=summit")
    shown = {h.text for h in browser.find_elements(By.CSS_SELECTOR, ".hit h2")}
    assert {a["title"] for a in HOSTILE_ARTICLES if "summit" in a["text"].lower()} <= shown
    for article in HOSTILE_ARTICLES:
        browser.get(base + "/?index=ix&q=summit")
        browser.find_element(By.LINK_TEXT, article["title"]).click()
        WebDriverWait(browser, 10).until(lambda d: "/article/" in d.current_url)
        assert browser.find_element(By.CSS_SELECTOR, ".meta .id").text == article["id"]
        assert browser.find_element(By.TAG_NAME, "h1").text == article["title"]
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text  # noqa: B018
    browser.get(base + "/?index=ix-2&q=summit")
    browser.find_element(By.CSS_SELECTOR, 'a.more[title="About <b>Eve</b>"]').click()
    WebDriverWait(browser, 10).until(lambda d: "/entity/person/" in d.current_url)
    assert browser.find_element(By.TAG_NAME, "h1").text == "<b>Eve</b>"


def test_pages_fit_a_phone_width_window_and_the_screenshot_is_saved(browser, base, tmp_path):
    try:
        browser.set_window_size(390, 844)
        for url in (
            "/?q=Astana+Declaration",
            "/article/000_0802c507da2f2354?q=Astana",
            "/entity/person/Maulen%20Ashimbayev",
        ):
            browser.get(base + url)
            width = browser.execute_script("return document.documentElement.scrollWidth")
            assert width <= browser.execute_script("return window.innerWidth"), url
            results = browser.find_element(By.TAG_NAME, "main")
            assert results.size["width"] <= 390
    finally:
        browser.set_window_size(1200, 900)
    browser.get(base + "/?q=Astana+Declaration")
    update = os.environ.get("SEARCHLIB_UPDATE_SCREENSHOT") == "1"
    screenshot = SCREENSHOT if update else tmp_path / SCREENSHOT.name
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
