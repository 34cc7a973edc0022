"""Invented athletes, officials and categories for simulated matches.

The names are made up; a few carry non-ASCII letters on purpose, because a real
court sends them and tkStrike cuts such datagrams short.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Person", "draw_officials", "draw_pair", "short_name"]


@dataclass(frozen=True, slots=True)
class Person:
    name: str  # long name, FAMILY name in capitals
    country: str  # IOC code


MEN = (
    Person("Jürgen BAUER", "GER"), Person("Kemal ÖZTÜRK", "TUR"), Person("Lukáš NOVÁK", "CZE"),
    Person("Björn LINDQVIST", "SWE"), Person("Minh NGUYỄN", "VIE"), Person("Ji-ho PARK", "KOR"),
    Person("Carlos SILVA", "BRA"), Person("Tomasz WÓJCIK", "POL"), Person("Yuto TANAKA", "JPN"),
    Person("Mehdi KARIMI", "IRI"), Person("Nikola JOVANOVIĆ", "SRB"), Person("Omar HADDAD", "JOR"),
    Person("Lucas MOREAU", "FRA"), Person("Daniel OKAFOR", "NGR"), Person("Mateo ROSSI", "ITA"),
    Person("Andrés PEÑA", "MEX"), Person("Liam O'BRIEN", "IRL"), Person("Wei CHEN", "CHN"),
)
WOMEN = (
    Person("Léa MARTIN", "FRA"), Person("Ana GARCÍA", "ESP"), Person("Olena KOVALENKO", "UKR"),
    Person("Sofía RAMÍREZ", "ARG"), Person("Amina DIALLO", "SEN"), Person("Seo-yeon KIM", "KOR"),
    Person("Emma WILSON", "GBR"), Person("Zeynep ŞAHIN", "TUR"), Person("Mia JENSEN", "DEN"),
    Person("Hana NOVOTNÁ", "SVK"), Person("Yasmin FARAH", "EGY"), Person("Chloé DUBOIS", "BEL"),
    Person("Aiko SATO", "JPN"), Person("Isabela COSTA", "BRA"), Person("Katarzyna NOWAK", "POL"),
)
OFFICIALS = (
    Person("Marco BIANCHI", "ITA"), Person("Hyun-woo LEE", "KOR"),
    Person("Ingrid HALVORSEN", "NOR"),
    Person("Pedro ALVES", "POR"), Person("Fatima ZAHRA", "MAR"), Person("John MILLER", "USA"),
    Person("Élodie GIRARD", "FRA"), Person("Reza AHMADI", "IRI"), Person("Anna SCHMIDT", "AUT"),
    Person("Kofi MENSAH", "GHA"), Person("Mariana LÓPEZ", "COL"), Person("Sven KARLSSON", "SWE"),
)
MEN_WEIGHTS = ("-54kg", "-58kg", "-63kg", "-68kg", "-74kg", "-80kg", "-87kg", "+87kg")
WOMEN_WEIGHTS = ("-46kg", "-49kg", "-53kg", "-57kg", "-62kg", "-67kg", "-73kg", "+73kg")
PARA_MEN = ("K44 -58kg", "K44 -63kg", "K44 -70kg", "K44 -80kg", "K44 +80kg")
PARA_WOMEN = ("K44 -47kg", "K44 -52kg", "K44 -57kg", "K44 -65kg", "K44 +65kg")
PHASES = ("Round of 32", "Round of 16", "Quarter-final", "Semi-final", "Repechage", "Final")


def short_name(person: Person, rng: random.Random) -> str:
    """The scoreboard name: `L. MARTIN`, or (like some real feeds) the long name again."""
    if rng.random() < 0.25:
        return person.name
    given, _sep, family = person.name.partition(" ")
    return f"{given[0]}. {family}" if family else person.name


def draw_pair(rng: random.Random, used: set[str], *, para: bool = False
              ) -> tuple[str, Person, Person]:
    """A category and two athletes of it who have not fought yet in this simulation."""
    women = rng.random() < 0.5
    pool = WOMEN if women else MEN
    if para:
        weight = rng.choice(PARA_WOMEN if women else PARA_MEN)
    else:
        weight = rng.choice(WOMEN_WEIGHTS if women else MEN_WEIGHTS)
    fresh = [p for p in pool if p.name not in used]
    if len(fresh) < 2:
        used.difference_update(p.name for p in pool)
        fresh = list(pool)
    blue, red = rng.sample(fresh, 2)
    used.update((blue.name, red.name))
    return f"{'WOMEN' if women else 'MEN'} {weight}", blue, red


def draw_officials(rng: random.Random) -> tuple[Person, ...]:
    """Centre referee first, then judges 1..3."""
    return tuple(rng.sample(OFFICIALS, 4))
