"""Canonical entity names: titles, surnames, acronyms, places, spelling variants, user aliases."""

from __future__ import annotations

import pytest

from searchlib.prepare.canonical import EntityTable
from searchlib.prepare.entities import canonical_place, clean_name, key
from searchlib.store.entity_table import load_user_aliases


@pytest.mark.parametrize(
    ("kind", "text", "name"),
    [
        ("person", "President Kassym-Jomart Tokayev", "Kassym-Jomart Tokayev"),
        ("person", "Cardinal George Koovakad", "George Koovakad"),
        ("person", "Yasuhiro) Nakasone", "Yasuhiro Nakasone"),
        ("person", "Kassym-Jomart Tokayev’s", "Kassym-Jomart Tokayev"),
        ("person", "Senate Speaker Maulen Ashimbayev", "Maulen Ashimbayev"),
        ("person", "Mr.", ""),
        ("org", "the Muslim World League", "Muslim World League"),
        ("place", "the Vatican", "Vatican"),
    ],
)
def test_clean_name(kind, text, name):
    assert clean_name(kind, text) == name


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("NUR-SULTAN", "Astana"),
        ("Nur-Sultan", "Astana"),
        ("Akmola", "Astana"),
        ("Alma-Ata", "Almaty"),
        ("Republic of Kazakhstan", "Kazakhstan"),
        ("Hashemite Kingdom of Jordan", "Jordan"),
        ("U.S.", "United States"),
        ("Britain", "United Kingdom"),
        ("Atlantis Prime", "Atlantis Prime"),  # unknown places keep their name
    ],
)
def test_places_take_geonames_canonical_names(name, canonical):
    assert canonical_place(name) == canonical


def test_key_ignores_case_accents_and_dots():
    assert key("Miguel Ángel Moratinos") == key("MIGUEL ANGEL MORATINOS")
    assert key("U.S.") == key("US")


def test_table_joins_spelling_variants_and_surnames():
    counts = {
        "person": {
            "Maulen Ashimbayev": 4,
            "Maulen Ashimbaev": 1,
            "Ashimbayev": 2,
            "Tokayev": 1,
            "Kassym-Jomart Tokayev": 3,
            "Maulen Ashimov": 1,
        },
        "org": {},
        "place": {},
    }
    table = EntityTable.build(counts)
    person = table.names["person"]
    assert person["Maulen Ashimbaev"] == person["Ashimbayev"] == "Maulen Ashimbayev"
    assert person["Tokayev"] == "Kassym-Jomart Tokayev"
    assert person["Maulen Ashimov"] == "Maulen Ashimov"  # a different person
    assert set(table.aliases["person"]["Maulen Ashimbayev"]) == {"Maulen Ashimbaev", "Ashimbayev"}


def test_table_joins_organisation_wordings_and_acronyms():
    counts = {
        "person": {},
        "org": {
            "Congress of Leaders of World and Traditional Religions": 3,
            "Congress of the Leaders of World & Traditional Religions": 1,
            "Muslim World League": 1,
            "MWL": 2,
        },
        "place": {},
    }
    table = EntityTable.build(counts, [("org", "MWL", "Muslim World League")])
    org = table.names["org"]
    assert org["Congress of the Leaders of World & Traditional Religions"] == (
        "Congress of Leaders of World and Traditional Religions"
    )
    # The acronym is used more often, but the full name is the canonical one it stands for.
    assert org["MWL"] == org["Muslim World League"]
    assert table.canonical("org", "mwl") == org["MWL"]
    assert sorted(table.variants("org", org["MWL"])) == ["MWL", "Muslim World League"]


def test_user_aliases_come_first(tmp_path):
    path = tmp_path / "seeds.aliases.toml"
    path.write_text('[person]\n"Kassym-Jomart Tokayev" = ["K. Tokayev", "KJT"]\n')
    aliases = load_user_aliases(path)
    counts = {"person": {"K. Tokayev": 1, "Tokayev": 1}, "org": {}, "place": {}}
    table = EntityTable.build(counts, (), aliases)
    assert table.names["person"]["K. Tokayev"] == "Kassym-Jomart Tokayev"
    assert table.canonical("person", "kjt") == "Kassym-Jomart Tokayev"
    assert EntityTable.from_json(table.to_json()) == table


def test_bad_aliases_file_is_a_clear_error(tmp_path):
    import searchlib

    path = tmp_path / "x.aliases.toml"
    path.write_text("[people]\nx = 'y'\n")
    with pytest.raises(searchlib.IndexDamagedError, match="unknown section"):
        load_user_aliases(path)


# --- The whole pipeline on the seed articles: tagger, names, index-wide table, facets --------


def test_seed_entities_meet_the_issue(ix):
    people = {e.name: e for e in ix.entities("person")}
    ashimbayev = [e for e in people.values() if "Ashimba" in e.name]
    assert [e.name for e in ashimbayev] == ["Maulen Ashimbayev"]  # one value, not three
    assert ashimbayev[0].count == 5
    assert "Ashimbaev" in " ".join(ashimbayev[0].aliases)
    assert people["Kassym-Jomart Tokayev"].kind == "person"
    assert not any("Tokayev" in e.name for e in ix.entities("org"))
    astana = next(e for e in ix.entities("place") if e.name == "Astana")
    assert "004_776b0de49483b812" in astana.ids  # filed from NUR-SULTAN
    assert not any(e.name in ("Plenipotentiary", "Your Holiness") for e in ix.entities())


def test_filters_accept_any_alias_in_any_case(ix):
    canonical = ix.search("*", person="Maulen Ashimbayev")
    assert canonical.total == 5
    for alias in ("Ashimbaev", "maulen ashimbaev", "ASHIMBAYEV"):
        assert ix.search("*", person=alias).total == canonical.total
    assert ix.search("*", place="Nur-Sultan").total == ix.search("*", place="Astana").total


def test_facet_counts_equal_the_matching_articles(ix):
    results = ix.search("Congress", limit=50)
    for kind in ("person", "org", "place"):
        for value in results.facets[kind]:
            having = [h for h in results.hits if value.value in h.entities[kind]]
            assert value.count == len(having), (kind, value)
            assert ix.search("Congress", **{kind: value.value}).total == value.count
