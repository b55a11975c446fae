"""What the words around a name say it is (issue 13, BBC facets): clubs the tagger called
miscellaneous, employers, events, law titles, newspapers, streets, works; a firm's kind over
the tagger's; surnames with particles; a place's and an organisation's parts."""

from __future__ import annotations

from searchlib.prepare.articles import find_entities
from searchlib.prepare.canonical import EntityTable
from searchlib.prepare.entities import article_entities
from searchlib.prepare.ner import Mention


def _at(text: str, *tagged: tuple[str, str]) -> list[Mention]:
    """The mentions a tagger gave: (type, words), at every place ``words`` occur in ``text``."""
    found = []
    for kind, words in tagged:
        start = text.find(words)
        while start >= 0:
            found.append(Mention(kind, words, start, start + len(words)))
            start = text.find(words, start + len(words))
    return sorted(found, key=lambda m: m.start)


def test_a_miscellaneous_name_before_a_players_role_or_in_a_score_is_a_club():
    text = (
        "Arsenal boss Arsene Wenger was pleased. Arsenal lost 2-0 at Old Trafford last year. "
        "The Spanish striker scored, the Premiership striker too, and the Welsh skipper and "
        "the Greek side, with a World Cup-winning side of the League One side."
    )
    found = article_entities(
        text,
        _at(
            text,
            ("MISC", "Arsenal"),
            ("PER", "Arsene Wenger"),
            ("MISC", "Spanish"),
            ("MISC", "Premiership"),
            ("MISC", "Welsh"),
            ("MISC", "Greek"),
            ("MISC", "World Cup-winning"),
            ("MISC", "League One"),
        ),
    )
    assert found.org == ("Arsenal",)  # not the adjective nor the competition
    text = "Arsenal were happy with the draw in the Premiership."
    assert article_entities(text, _at(text, ("MISC", "Arsenal"))).org == ()
    text = "Arsenal's Sol Campbell spoke, and A Beautiful Mind's Russell Crowe too."
    found = article_entities(
        text,
        _at(
            text,
            ("MISC", "Arsenal"),
            ("PER", "Sol Campbell"),
            ("MISC", "A Beautiful Mind"),
            ("PER", "Russell Crowe"),
        ),
    )
    assert found.org == ("Arsenal",)


def test_an_employer_a_newspaper_and_a_street_are_no_person_or_town():
    text = (
        "Paul King, principal security consultant at Cisco, said so. Writing in the "
        "Northern Echo, the Bishop agreed. But Downing Street said no."
    )
    found = article_entities(
        text,
        _at(
            text,
            ("PER", "Paul King"),
            ("LOC", "Cisco"),
            ("LOC", "Northern Echo"),
            ("PER", "Downing Street"),
        ),
    )
    assert found.person == ("Paul King",)
    assert found.org == ("Cisco", "Northern Echo")
    assert found.place == ()


def test_a_numbered_event_is_its_organisations_and_a_law_title_is_no_organisation():
    text = (
        "It continued the 10th Global Forum of the Alliance of Civilizations, held in "
        "Portugal.\nKazakhstan adopts law on Return of Illegally Acquired Assets"
    )
    found = article_entities(
        text,
        _at(
            text,
            ("ORG", "Global Forum of the Alliance of Civilizations"),
            ("LOC", "Portugal"),
            ("LOC", "Kazakhstan"),
            ("ORG", "Illegally Acquired Assets"),
        ),
    )
    assert found.org == ("Alliance of Civilizations",)
    assert found.place == ("Portugal", "Kazakhstan")
    # A congress heads institutions: the "VII Congress of ..." is the organisation's own.
    text = "Leaders came to the VII Congress of Leaders of World and Traditional Religions."
    found = article_entities(
        text, _at(text, ("ORG", "Congress of Leaders of World and Traditional Religions"))
    )
    assert found.org == ("Congress of Leaders of World and Traditional Religions",)


def test_works_and_competitions_by_what_follows_them():
    text = (
        "House of Flying Daggers, directed by Yimou Zhang, won. Her father is a former "
        "Australian Formula 3 champion. The club left at the Autosport International 2005 "
        "show at Birmingham. Box-office flops Alexander and Catwoman hurt the studio."
    )
    found = article_entities(
        text,
        _at(
            text,
            ("ORG", "House of Flying Daggers"),
            ("PER", "Yimou Zhang"),
            ("ORG", "Australian Formula"),
            ("ORG", "Autosport International"),
            ("LOC", "Birmingham"),
            ("PER", "Alexander"),
            ("PER", "Catwoman"),
        ),
    )
    assert found.org == ()
    assert found.person == ("Yimou Zhang",)


def test_the_kind_the_text_gives_a_firm_wins_over_the_taggers_in_the_article():
    text = (
        "A row between the state and water firm Aguas Argentinas grew. The government wants "
        "Aguas Argentinas to invest. Shares in Equant rose; data services provider Equant "
        "said little. The present provider Chubb kept the contract. Newspaper publisher "
        "Robert Maxwell bought it; Jeffery Lane approved. The air cargo company Kitty Hawk "
        "grew."
    )
    found = article_entities(
        text,
        [
            *_at(
                text,
                ("PER", "Aguas Argentinas"),
                ("PER", "Chubb"),
                ("PER", "Robert Maxwell"),
                ("PER", "Jeffery Lane"),
                ("PER", "Kitty Hawk"),
            ),
            *_at(text, ("LOC", "Equant")),
        ],
    )
    assert set(found.org) == {"Aguas Argentinas", "Equant", "Chubb", "Kitty Hawk"}
    assert found.person == ("Robert Maxwell", "Jeffery Lane")  # (a lane is a surname too)
    assert found.place == ()
    # A quotation or a person's surname is no firm's list: '... of the company," Bue said'.
    text = (
        'Christian Bue spoke. "It is the company," Bue said. Asked about European firms, Bue '
        "said no."
    )
    found = article_entities(text, _at(text, ("PER", "Christian Bue"), ("PER", "Bue")))
    assert found.person == ("Christian Bue",) and found.org == ()


def _nth(text: str, kind: str, words: str, n: int = 0) -> Mention:
    """The mention of ``words`` at its ``n``-th place in ``text``."""
    start = -1
    for _ in range(n + 1):
        start = text.index(words, start + 1)
    return Mention(kind, words, start, start + len(words))


def test_a_place_and_an_organisation_by_their_parts():
    text = (
        "She beat a player of Serbia and Montenegro. Inmates at Guantanamo Bay wait. Tutu's "
        "Guantanamo call. The head of the Catholic Church in England and Wales spoke. Marsh & "
        "McLennan settled; Marsh said it would co-operate."
    )
    mentions = [
        _nth(text, "LOC", "Serbia"),
        _nth(text, "LOC", "Montenegro"),
        _nth(text, "LOC", "Guantanamo Bay"),
        _nth(text, "LOC", "Guantanamo", 1),
        _nth(text, "ORG", "Catholic Church in England"),
        _nth(text, "LOC", "Wales"),
        _nth(text, "ORG", "Marsh & McLennan"),
        _nth(text, "LOC", "Marsh", 1),
    ]
    found = article_entities(text, mentions)
    assert found.place == ("Serbia and Montenegro", "Guantanamo Bay", "England", "Wales")
    assert found.org == ("Catholic Church", "Marsh & McLennan")


def test_a_surname_with_a_particle_joins_its_full_name():
    text = "Planning Minister Julio De Vido offered help. Mr De Vido said no."
    found = article_entities(
        text,
        [Mention("PER", "Julio De Vido", 18, 31), Mention("PER", "De Vido", 49, 56)],
    )
    assert found.person == ("Julio De Vido",)
    table = EntityTable.build({"person": {"Julio De Vido": 2, "De Vido": 3, "Vido": 1}})
    assert table.names["person"]["De Vido"] == "Julio De Vido"
    # Capitalised "Della" and "Van" are given names too.
    table = EntityTable.build({"person": {"Della Bousquet": 3, "Bousquet": 1, "Van Morrison": 2}})
    assert table.names["person"]["Bousquet"] == "Della Bousquet"
    assert table.names["person"]["Van Morrison"] == "Van Morrison"


def test_an_acronym_does_not_join_a_much_rarer_name_with_its_initials():
    table = EntityTable.build({"org": {"ABC": 20, "Aldridge Browhills Conservatives": 1}})
    assert table.names["org"]["ABC"] == "ABC"
    table = EntityTable.build({"org": {"UN": 8, "United Nations": 2}})
    assert table.names["org"]["UN"] == "United Nations"
    # The name's spellings count together: ATT is American Telephone and Telegraph.
    table = EntityTable.build(
        {
            "org": {
                "ATT": 26,
                "American Telephone and Telegraph": 1,
                "American Telephone and Telegraph Co": 58,
            }
        }
    )
    assert table.names["org"]["ATT"] == "American Telephone and Telegraph Co"


def test_a_sovereign_named_by_one_given_name_keeps_the_title() -> None:
    # The article names him by title and given name only; "Charles" alone is any Charles.
    found = find_entities("Earlier, the agency reported King Charles and Pope Leo hold a prayer.")
    assert set(found.person) == {"King Charles", "Pope Leo"}
    # The king is not the other Hussein of the article.
    found = find_entities(
        "King Hussein of Jordan met Saddam Hussein in Baghdad. King Hussein left."
    )
    assert set(found.person) == {"King Hussein", "Saddam Hussein"}
    assert find_entities("KING FAHD MEETS OIL MINISTERS").person == ("King Fahd",)
    # With a full name in the article, the short one is that name.
    assert find_entities("Pope Leo XIV met them. Later Pope Leo spoke.").person == ("Leo XIV",)


def test_a_sovereign_joins_the_one_full_name_of_that_given_name_only() -> None:
    table = EntityTable.build(
        {"person": {"King Charles": 2, "Charles III": 3, "King Hussein": 4, "Saddam Hussein": 9}}
    )
    assert table.names["person"]["King Charles"] == "Charles III"
    assert table.names["person"]["King Hussein"] == "King Hussein"
    table = EntityTable.build({"person": {"King Charles": 2, "Ray Charles": 3}})
    assert table.names["person"]["King Charles"] == "King Charles"


def test_a_party_named_by_its_members_is_an_organisation() -> None:
    # The tagger calls "Liberal Democrats" miscellaneous (CoNLL's members of a party): as a
    # facet, it is the party.
    assert find_entities("The Liberal Democrats said the plan would fail.").org == (
        "Liberal Democrats",
    )
    assert "Democrats" in find_entities("Democrats in Congress opposed the bill.").org
    # A run of words ending in members is no party's name: "Two House Republicans".
    found = find_entities("Two House Republicans opposed the bill on Monday.").org
    assert "Two House Republicans" not in found
