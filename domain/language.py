"""Languages: BCP 47 tags, and the order in which a reader's languages are tried.

Tags are validated against the IANA subtag registry through ``langcodes`` (a
maintained library) and kept in their canonical form (``DE-at`` -> ``de-AT``,
``i-klingon`` -> ``tlh``), so "de-AT" typed two ways is one key in the read
model. The fallback chain is the one decision 017 documents: each requested
tag, then its shorter forms (``de-AT`` -> ``de``), then the record's source
language. A reader always gets a text; the text says which language it is in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import langcodes

from citynet.domain.errors import InvalidInput

MAX_TAG_LENGTH = 35  # RFC 5646 section 4.4.1: 35 characters cover every tag worth storing
_SHAPE = re.compile(r"^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$")  # BCP 47 separates with "-", never "_"


@lru_cache(maxsize=512)
def _canonical(raw: str) -> str | None:
    """The canonical tag, or None. Content languages are language[-script][-region][-variant]: extensions
    (``-u-co-phonebk``) and private use (``-x-...``) describe formatting or local conventions, not the
    language a text is written in, and are refused; so is the range reserved for local use (qaa-qtz)."""
    if not _SHAPE.match(raw) or not langcodes.tag_is_valid(raw):
        return None
    language = langcodes.Language.get(raw)
    if (not language.is_valid() or language.language in (None, "und") or raw[:2].lower() == "x-"
            or language.extensions
            or language.private or "qaa" <= (language.language or "") <= "qtz"):
        return None
    tag = langcodes.standardize_tag(raw)
    return tag if len(tag) <= MAX_TAG_LENGTH else None  # what is stored must fit (sh -> sr-Latn grows)


def language_tag(field: str, raw: object) -> str:
    """The canonical tag, or ``InvalidInput(field)`` for what is not a registered BCP 47 language tag."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput(field, "a language tag (BCP 47, such as de or de-AT) is required")
    raw = raw.strip(" ")  # spaces around a tag are a slip; a newline or a tab is not part of any tag
    if len(raw) > MAX_TAG_LENGTH:
        raise InvalidInput(field, f"a language tag has at most {MAX_TAG_LENGTH} characters")
    tag = _canonical(raw)
    if tag is None:
        raise InvalidInput(field, f"{raw!r} is not a registered BCP 47 language tag for a text's language "
                                  "(language, script, region, variant; no extensions or private use)")
    return tag


def shorter_forms(tag: str) -> list[str]:
    """``sr-Cyrl-RS`` -> ``["sr-Cyrl-RS", "sr-Cyrl", "sr"]``: the tag, then each prefix (RFC 4647 lookup)."""
    parts = tag.split("-")
    forms = []
    for end in range(len(parts), 0, -1):
        if len(parts[end - 1]) == 1:  # a singleton (x-, u-) never ends a prefix
            continue
        forms.append("-".join(parts[:end]))
    return forms


def fallback_chain(requested: Iterable[str], source: str) -> list[str]:
    """Tags to try, best first: each requested tag and its shorter forms, then the source language."""
    chain: list[str] = []
    for tag in requested:
        for form in shorter_forms(tag):
            if form not in chain:
                chain.append(form)
    if source not in chain:
        chain.append(source)
    return chain


_RANGE = re.compile(r"^\s*([A-Za-z0-9-]{1,35}|\*)\s*(?:;\s*q\s*=\s*([01](?:\.\d{0,3})?))?\s*$")


def accept_language(header: str | None, limit: int = 6) -> list[str]:
    """The languages of an ``Accept-Language`` header, by preference; malformed or unknown ranges
    are skipped (a header is a hint from the browser, never a reason to refuse a read)."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header[:500].split(",")[:20]):
        match = _RANGE.match(part)
        if not match or match.group(1) == "*":
            continue
        quality = float(match.group(2)) if match.group(2) else 1.0
        tag = _canonical(match.group(1))
        if tag is not None and quality > 0:
            ranked.append((-quality, index, tag))
    tags: list[str] = []
    for _, _, tag in sorted(ranked):
        if tag not in tags:
            tags.append(tag)
    return tags[:limit]
