"""Customer identity normalisation for deal registration.

Two registrations name the same customer when their normalised names, tax ids or web domains
match. Names are folded (Unicode compatibility form, case), stripped of punctuation and spacing,
and of trailing legal-form words in English and Chinese, so "ACME, Inc.", "Acme Inc" and "acme"
all become "acme", and "台灣積體電路製造股份有限公司" becomes "台灣積體電路製造".
"""

from __future__ import annotations

import re
import unicodedata

# Trailing English legal-form words, compared token by token after folding.
_ENGLISH_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "ltd",
        "limited",
        "llc",
        "llp",
        "lp",
        "plc",
        "pte",
        "pty",
        "gmbh",
        "ag",
        "sa",
        "bv",
        "nv",
        "kk",
        "bhd",
        "sdn",
        "holdings",
        "group",
    }
)

# Trailing Chinese legal forms, longest first so the full form is removed in one step.
_CHINESE_SUFFIXES = (
    "股份有限公司",
    "有限責任公司",
    "有限责任公司",
    "(股)公司",
    "有限公司",
    "控股",
    "集團",
    "集团",
    "公司",
)

_CHINESE_SUFFIX_WORDS = frozenset(_CHINESE_SUFFIXES)

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    # Taiwan writes both 臺 and 台; treat them as one.
    return text.replace("臺", "台").replace("&", " and ")


def _strip_chinese(text: str) -> str:
    changed = True
    while changed:
        changed = False
        for suffix in _CHINESE_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                changed = True
    return text


def normalise_customer_name(name: str) -> str:
    """The comparison key of a customer's name (empty when the name has no letters).

    Legal forms are removed from the end word by word, in either language and in any order
    ("Acme Inc 股份有限公司" is "acme"); a lone legal-form word is kept as the name.
    """
    folded = _fold(name).replace("(股)", "")
    tokens = _TOKEN.findall(folded)
    while tokens:
        last = tokens[-1]
        if len(tokens) > 1 and (last in _ENGLISH_SUFFIXES or last in _CHINESE_SUFFIX_WORDS):
            tokens.pop()
            continue
        stripped = _strip_chinese(last) if _CJK.search(last) else last
        if stripped == last:
            break
        tokens[-1] = stripped
    joined = "".join(tokens)
    if _CJK.search(joined):
        joined = _strip_chinese(joined)
    return joined


_MAX_PASSES = 8


def _settled(step, value: str) -> str:
    """Apply `step` until the text stops changing, so that a key normalises to itself (a pass
    can expose more to remove, e.g. whitespace left behind a port)."""
    text = step(value)
    for _ in range(_MAX_PASSES):
        again = step(text)
        if again == text:
            break
        text = again
    return text


def _tax_id_once(tax_id: str) -> str:
    return "".join(_TOKEN.findall(_fold(tax_id))).upper()


def normalise_tax_id(tax_id: str) -> str:
    """Tax ids compare on letters and digits only (e.g. "12-345 678" == "12345678")."""
    return _settled(_tax_id_once, tax_id)


def _domain_once(value: str) -> str:
    text = _fold(value).strip()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = text.split("/", 1)[0].split(":", 1)[0]
    text = re.sub(r"^[\s.]+|[\s.]+$", "", text)
    return text.removeprefix("www.")


def normalise_domain(value: str) -> str:
    """A customer's web or email domain: scheme, path, user part and "www." removed."""
    return _settled(_domain_once, value)
