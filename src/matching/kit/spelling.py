"""How a clerk may type a Chinese name on a keyboard: pinyin in full, or its initials.

张建国 is found by ``zhangjianguo`` and by ``zjg`` (and by any prefix of either). A surname
read more than one way (单 dan / shan, 曾 ceng / zeng) gets every reading pypinyin knows, up to
three, so the clerk's reading finds the person whichever the dictionary prefers. Letters in
the name (a transliterated name) are kept, lower-cased; spaces and the middle dot are dropped.
"""

from pypinyin import Style, lazy_pinyin, pinyin

_MAX_SURNAME_READINGS = 3
_SEPARATOR = "|"
_DROPPED = str.maketrans("", "", " \u00b7\u2022.-'")  # spaces, 中点, dots, hyphens, apostrophes


def spellings(name: str) -> str:
    """Every spelling of the name to match by prefix, as ``|full|initials|…|`` (lower case)."""
    compact = name.translate(_DROPPED)
    if not compact:
        return _SEPARATOR
    first, rest = compact[0], compact[1:]
    rest_syllables = [s.lower() for s in lazy_pinyin(rest, errors="default")] if rest else []
    readings = pinyin(first, style=Style.NORMAL, heteronym=True, errors="default")[0]
    found: list[str] = []
    for reading in readings[:_MAX_SURNAME_READINGS]:
        syllables = [reading.lower(), *rest_syllables]
        for spelled in ("".join(syllables), "".join(s[0] for s in syllables if s)):
            if spelled not in found:
                found.append(spelled)
    return _SEPARATOR + _SEPARATOR.join(found) + _SEPARATOR


def typed_spelling(text: str) -> str | None:
    """What a clerk typed in Latin letters (pinyin or initials, ``Zhang Jianguo`` as
    ``zhangjianguo``), in the form `spellings` stores; None for Chinese characters."""
    compact = text.translate(_DROPPED)
    return compact.lower() if compact.isascii() and compact.isalpha() else None
