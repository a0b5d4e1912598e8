"""Validators for codes people type: countries, currencies, languages, time zones.

Each returns the canonical form or raises ``ValueError`` with a message that says what is
wrong; pydantic turns that into a 422 naming the field.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated
from zoneinfo import available_timezones

import pycountry
from pydantic import AfterValidator, Field, StringConstraints

CEFR_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")


def country_code(value: str) -> str:
    """ISO 3166-1 alpha-2 country code, upper-cased (``br`` → ``BR``)."""
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code")
    return code


def currency_code(value: str) -> str:
    """ISO 4217 currency code, upper-cased (``eur`` → ``EUR``)."""
    code = value.strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"'{value}' is not an ISO 4217 currency code")
    return code


def language_code(value: str) -> str:
    """ISO 639-1 two-letter language code, lower-cased (``PT`` → ``pt``)."""
    code = value.strip().lower()
    if len(code) != 2 or pycountry.languages.get(alpha_2=code) is None:
        raise ValueError(f"'{value}' is not an ISO 639-1 language code")
    return code


def cefr_level(value: str) -> str:
    """A CEFR level A1..C2."""
    level = value.strip().upper()
    if level not in CEFR_LEVELS:
        raise ValueError(f"'{value}' is not a CEFR level (one of {', '.join(CEFR_LEVELS)})")
    return level


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zone(value: str) -> str:
    """An IANA time zone name such as ``America/Sao_Paulo``."""
    zone = value.strip()
    if zone not in _zones():
        raise ValueError(f"'{value}' is not an IANA time zone name")
    return zone


def country_name(code: str) -> str:
    """The English short name of a country code, for display."""
    country = pycountry.countries.get(alpha_2=code)
    return str(country.name) if country is not None else code


def language_name(code: str) -> str:
    """The English name of a language code, for display."""
    language = pycountry.languages.get(alpha_2=code)
    return str(language.name) if language is not None else code


CountryCode = Annotated[str, AfterValidator(country_code)]
CurrencyCode = Annotated[str, AfterValidator(currency_code)]
LanguageCode = Annotated[str, AfterValidator(language_code)]
CefrLevel = Annotated[str, AfterValidator(cefr_level)]
TimeZone = Annotated[str, AfterValidator(time_zone)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

#: Largest value of an INTEGER primary key (PostgreSQL's int4; SQLite allows more).
MAX_ID = 2_147_483_647
#: A row id in a path, query or body: a larger number would make the database driver raise.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
