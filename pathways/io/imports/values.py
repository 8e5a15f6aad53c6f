"""Cell values as field teams write them, turned into inventory values.

Each parser takes the text of one cell and returns the inventory value, or raises ValueError
with a message that says what was expected; the caller adds the file, sheet, row and column.
French and English words are understood ('lun-ven 9h-17h', 'Femmes et filles', 'Arabe').
"""

from __future__ import annotations

import datetime as dt
import gettext
import math
import re
import unicodedata
from functools import lru_cache
from typing import Any

from pathways.i18n import LANGS
from pathways.model.inventory import (
    DAYS,
    GROUPS,
    TAXONOMY,
    check_language,
    is_category,
    parse_hours,
)


def norm(text: Any) -> str:
    """Lower case, no accents, punctuation as spaces: 'Nom du Service ' -> 'nom du service'."""
    s = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9+#]+", " ", s.lower()).strip()


def split_list(text: str) -> list[str]:
    """Items of a list cell: split at commas, semicolons, slashes, new lines, ' et ', ' and '."""
    parts = re.split(r"[,;/|\n]+|\s+(?:et|and|&)\s+", str(text))
    return [p.strip() for p in parts if p and p.strip()]


def slug(text: str, *, max_len: int = 48) -> str:
    """A lower-case id from a name: 'Centre de santé – Forest' -> 'centre-de-sante-forest'."""
    s = re.sub(r"[^a-z0-9]+", "-", norm(text)).strip("-")
    return s[:max_len].rstrip("-") or "service"


# --- booleans, numbers, dates ----------------------------------------------------------------

_TRUE = {"oui", "yes", "y", "o", "x", "true", "vrai", "1", "si", "da", "ja"}
_FALSE = {"non", "no", "n", "false", "faux", "0", "-", "ne", "nee", "nein"}


def parse_bool(text: Any) -> bool:
    """'oui' / 'yes' / 'x' / 1 -> True; 'non' / 'no' / 0 -> False."""
    if isinstance(text, bool):
        return text
    key = norm(text).replace(" ", "")
    if key in _TRUE or str(text).strip() in ("✓", "✔"):
        return True
    if key in _FALSE:
        return False
    raise ValueError(f"'{text}' is not yes or no (oui/non, yes/no, x)")


def parse_float(text: Any) -> float:
    """A number, with a decimal comma allowed ('50,835')."""
    s = str(text).strip().replace(" ", "").replace("\u00a0", "")
    if s.count(",") == 1 and "." not in s:
        s = s.replace(",", ".")
    try:
        value = float(text if isinstance(text, int | float) and not isinstance(text, bool) else s)
    except (ValueError, OverflowError):
        raise ValueError(f"'{text}' is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"'{text}' is not a number")
    return value


def parse_int(text: Any) -> int:
    value = parse_float(text)
    if value != int(value):
        raise ValueError(f"'{text}' is not a whole number")
    return int(value)


def parse_coordinates(text: Any) -> tuple[float, float]:
    """'50.835, 4.348' or '50,835; 4,348' -> (lat, lon)."""
    parts = re.split(r"\s*[;]\s*|\s*,\s+|\s+", str(text).strip())
    if len(parts) != 2:
        raise ValueError(f"'{text}' is not 'latitude, longitude'")
    return parse_float(parts[0]), parse_float(parts[1])


def parse_date(text: Any) -> dt.date:
    """A date cell: a spreadsheet date, 'YYYY-MM-DD' or 'DD/MM/YYYY'."""
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    s = str(text).strip()
    try:
        return dt.date.fromisoformat(s[:10])
    except ValueError:
        pass
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", s)
    if m:
        try:
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
        except ValueError:
            pass
    raise ValueError(f"'{text}' is not a date (YYYY-MM-DD or DD/MM/YYYY)")


def parse_phone(text: Any) -> str:
    """A phone number as text (a number a spreadsheet stored as a float loses its '.0')."""
    if isinstance(text, float) and text == int(text):
        return str(int(text))
    return str(text).strip()


# --- categories ---------------------------------------------------------------------------------

CATEGORY_WORDS: dict[str, str] = {
    # clinical management of rape
    "cmr": "health.cmr",
    "pep": "health.cmr",
    "ppe": "health.cmr",
    "prise en charge medicale du viol": "health.cmr",
    "soins post viol": "health.cmr",
    "post rape care": "health.cmr",
    "medical care after rape": "health.cmr",
    "prise en charge clinique": "health.cmr",
    # health
    "sante": "health.general",
    "health": "health.general",
    "medical": "health.general",
    "soins medicaux": "health.general",
    "soins de sante": "health.general",
    "health care": "health.general",
    "sante sexuelle": "health.srh",
    "sante reproductive": "health.srh",
    "planning familial": "health.srh",
    "family planning": "health.srh",
    "srh": "health.srh",
    "ssr": "health.srh",
    # mental health
    "psychosocial": "mhpss",
    "soutien psychosocial": "mhpss",
    "psychosocial support": "mhpss",
    "sante mentale": "mhpss",
    "mental health": "mhpss",
    "psy": "mhpss",
    "smsps": "mhpss",
    "counselling": "mhpss",
    "ecoute": "mhpss",
    # case management
    "gestion de cas": "case_management",
    "gestion des cas": "case_management",
    "case management": "case_management",
    "accompagnement social": "case_management",
    "gbv case management": "case_management",
    "vbg gestion de cas": "case_management",
    # safety
    "police": "safety.police",
    "securite": "safety.police",
    "gendarmerie": "safety.police",
    "security": "safety.police",
    "hebergement": "safety.shelter",
    "hebergement d urgence": "safety.shelter",
    "refuge": "safety.shelter",
    "maison d accueil": "safety.shelter",
    "maison refuge": "safety.shelter",
    "shelter": "safety.shelter",
    "safe house": "safety.shelter",
    "abri": "safety.shelter",
    # legal
    "juridique": "legal",
    "aide juridique": "legal",
    "assistance juridique": "legal",
    "avocat": "legal",
    "legal": "legal",
    "legal aid": "legal",
    "justice": "legal",
    # children
    "protection de l enfance": "child_protection",
    "protection de l enfant": "child_protection",
    "protection enfance": "child_protection",
    "child protection": "child_protection",
    "enfance": "child_protection",
    # others
    "ligne d ecoute": "hotline",
    "ligne verte": "hotline",
    "numero vert": "hotline",
    "hotline": "hotline",
    "helpline": "hotline",
    "interpretariat": "interpretation",
    "interpretation": "interpretation",
    "mediation culturelle": "interpretation",
    "cultural mediation": "interpretation",
    "besoins de base": "basic_needs",
    "basic needs": "basic_needs",
    "nfi": "basic_needs",
    "kits de dignite": "basic_needs",
    "moyens de subsistance": "livelihoods",
    "livelihoods": "livelihoods",
    "reinsertion economique": "livelihoods",
    "formation professionnelle": "livelihoods",
    "espace sur": "community",
    "espace sur pour femmes": "community",
    "safe space": "community",
    "women s safe space": "community",
    "centre communautaire": "community",
    "community centre": "community",
    "community center": "community",
}
"""Words field teams use for our categories (normalised), besides the ids and the labels."""


def _latin(text: str) -> bool:
    """Whether every letter of `text` is Latin: `norm` keeps such a text whole (and would keep
    only the Latin fragments of another script's)."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(unicodedata.name(c, "").startswith("LATIN") for c in letters)


@lru_cache(maxsize=1)
def _category_lookup() -> dict[str, str]:
    """Normalised words -> category id: the ids, the labels in the language of every catalog
    (English and French first; labels in the Latin script), then `CATEGORY_WORDS`."""
    table = {norm(c.id): c.id for c in TAXONOMY.values()}
    for lang in LANGS:
        for c in TAXONOMY.values():
            label = c.label(lang)
            if _latin(label):
                table.setdefault(norm(label), c.id)
    table.update(CATEGORY_WORDS)
    return table


def parse_categories(text: Any) -> list[str]:
    """'Santé mentale, Aide juridique' -> ['mhpss', 'legal']; ids pass through."""
    whole = _category_lookup().get(norm(text))
    if whole:
        return [whole]
    out: list[str] = []
    for part in split_list(str(text)):
        cid = part.strip() if is_category(part.strip()) else _category_lookup().get(norm(part))
        if cid is None:
            raise ValueError(
                f"'{part}' is not a service category (use an id such as health.cmr, mhpss, "
                "legal, or words like 'Santé mentale', 'Aide juridique', 'Hébergement')"
            )
        if cid not in out:
            out.append(cid)
    if not out:
        raise ValueError("no category given")
    return out


# --- languages ----------------------------------------------------------------------------------

LANGUAGE_WORDS: dict[str, str] = {
    "pachto": "ps",
    "pachtou": "ps",
    "pashto": "ps",
    "pushto": "ps",
    "dari": "prs",
    "farsi": "fa",
    "persan": "fa",
    "tigrigna": "ti",
    "tigrinya": "ti",
    "peul": "ff",
    "fulfulde": "ff",
    "bambara": "bm",
    "songhai": "ses",
    "songhay": "ses",
    "sonrai": "ses",
    "dogon": "dts",
    "lingala": "ln",
    "kurde": "ku",
    "kurdish": "ku",
    "sorani": "ckb",
    "kurmanji": "kmr",
    "arabe": "ar",
    "arabic": "ar",
    "langue des signes": "sgn",
    "sign language": "sgn",
}
"""Names that the ISO 639 names do not give (or give otherwise) in French or English."""


@lru_cache(maxsize=1)
def _language_lookup() -> dict[str, str]:
    import pycountry

    try:
        fr = gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=["fr"])
    except OSError:
        fr = None
    table: dict[str, str] = {}
    for lang in pycountry.languages:
        code = getattr(lang, "alpha_2", None) or lang.alpha_3
        names = [lang.name, getattr(lang, "common_name", None)]
        if fr is not None:
            names.append(fr.gettext(lang.name))
        for name in names:
            if name:
                key = norm(name)
                # the 2-letter languages win a clash (a name shared with a dialect)
                if key not in table or len(code) == 2:
                    table[key] = code
    table.update(LANGUAGE_WORDS)
    return table


def parse_language(text: str) -> str:
    """'fr', 'fra', 'French', 'Français', 'Arabe' -> an ISO 639 code (639-1 when there is one)."""
    s = text.strip()
    low = s.lower()
    if len(low) in (2, 3) and low.isalpha():
        try:
            code = check_language(low)
        except ValueError:
            pass
        else:
            return _two_letter(code)
    found = _language_lookup().get(norm(s))
    if found is None:
        raise ValueError(f"'{text}' is not a language name or ISO 639 code")
    return found


def _two_letter(code: str) -> str:
    import pycountry

    if len(code) == 3:
        lang = pycountry.languages.get(alpha_3=code)
        return getattr(lang, "alpha_2", None) or code
    return code


def parse_languages(text: Any) -> list[str]:
    out: list[str] = []
    for part in split_list(str(text)):
        code = parse_language(part)
        if code not in out:
            out.append(code)
    return out


# --- who, what it costs, what it requires --------------------------------------------------

GROUP_WORDS: dict[str, tuple[str, ...]] = {
    "femmes": ("women",),
    "femme": ("women",),
    "women": ("women",),
    "woman": ("women",),
    "hommes": ("men",),
    "homme": ("men",),
    "men": ("men",),
    "filles": ("girls",),
    "fille": ("girls",),
    "girls": ("girls",),
    "garcons": ("boys",),
    "garcon": ("boys",),
    "boys": ("boys",),
    "enfants": ("girls", "boys"),
    "children": ("girls", "boys"),
    "mineurs": ("girls", "boys"),
    "adultes": ("women", "men"),
    "adults": ("women", "men"),
    "non binaires": ("nonbinary",),
    "non binaire": ("nonbinary",),
    "nonbinary": ("nonbinary",),
    "non binary": ("nonbinary",),
    "tous": GROUPS,
    "tout public": GROUPS,
    "tout le monde": GROUPS,
    "all": GROUPS,
    "everyone": GROUPS,
}


def parse_groups(text: Any) -> list[str]:
    """'Femmes et filles' -> ['women', 'girls']; 'tous' -> every group."""
    out: list[str] = []
    for part in split_list(str(text)):
        groups = GROUP_WORDS.get(norm(part)) or ((norm(part),) if norm(part) in GROUPS else None)
        if groups is None:
            raise ValueError(
                f"'{part}' is not a group (women, men, girls, boys, nonbinary; "
                "femmes, hommes, filles, garçons, enfants, tous)"
            )
        out += [g for g in groups if g not in out]
    return [g for g in GROUPS if g in out]


def parse_cost(text: Any) -> str:
    key = norm(text)
    if key in ("free", "gratuit", "gratuite", "0", "non", "no"):
        return "free"
    if key in ("low", "faible", "participation", "low cost", "cout faible", "modique"):
        return "low"
    if key in ("fee", "payant", "payante", "yes", "oui", "frais"):
        return "fee"
    raise ValueError(f"'{text}' is not a cost (free/gratuit, low/faible, fee/payant)")


REQUIRE_WORDS: dict[str, str] = {
    "police report": "police_report",
    "plainte": "police_report",
    "depot de plainte": "police_report",
    "plainte a la police": "police_report",
    "mandatory reporting": "mandatory_reporting",
    "signalement obligatoire": "mandatory_reporting",
    "documents": "documents",
    "papiers": "documents",
    "papiers d identite": "documents",
    "piece d identite": "documents",
    "referral letter": "referral_letter",
    "lettre de reference": "referral_letter",
    "lettre d orientation": "referral_letter",
    "fee": "fee",
    "frais": "fee",
}


def parse_requires(text: Any) -> list[str]:
    out: list[str] = []
    for part in split_list(str(text)):
        key = norm(part)
        code = key.replace(" ", "_") if key.replace(" ", "_") in REQUIRE_WORDS.values() else None
        code = code or REQUIRE_WORDS.get(key)
        if code is None:
            raise ValueError(
                f"'{part}' is not a condition (police report/plainte, documents/papiers, "
                "referral letter, fee/frais, mandatory reporting)"
            )
        if code not in out:
            out.append(code)
    return out


def parse_legal_status(text: Any) -> str:
    key = norm(text)
    if key in ("any", "tous", "toutes", "all", "sans condition", "no"):
        return "any"
    if key in ("documented only", "documented", "en situation reguliere", "avec papiers"):
        return "documented-only"
    raise ValueError(f"'{text}' is not a legal status (any, documented-only)")


# --- opening hours ----------------------------------------------------------------------------

_DAY_WORDS: dict[str, int] = {}
for _i, _names in enumerate(
    (
        ("mon", "monday", "lun", "lundi", "lu", "mo"),
        ("tue", "tues", "tuesday", "mar", "mardi", "ma", "tu"),
        ("wed", "wednesday", "mer", "mercredi", "me", "we"),
        ("thu", "thur", "thurs", "thursday", "jeu", "jeudi", "je", "th"),
        ("fri", "friday", "ven", "vendredi", "ve", "fr"),
        ("sat", "saturday", "sam", "samedi", "sa"),
        ("sun", "sunday", "dim", "dimanche", "di", "su"),
    )
):
    for _n in _names:
        _DAY_WORDS[_n] = _i

_ALWAYS = re.compile(
    r"^(24 ?/ ?7|24 ?h ?/ ?24( ?,? ?7 ?j ?/ ?7)?|24 ?h ?24|24 hours|open 24 hours|always open|"
    r"jour et nuit|24h 7j|7 ?j ?/ ?7 ?,? ?24 ?h ?/ ?24)$"
)
_TIME = r"(\d{1,2})(?:\s*(?:h|:|\.)\s*(\d{2})?)?"
_RANGE = re.compile(_TIME + r"\s*(?:-|–|—|a|au|to|until|jusqu a|jusqu'a)\s*" + _TIME)
_DAY_TOKEN = r"[a-z]+\.?"


def parse_hours_text(text: Any) -> str | dict[str, str]:
    """Free-text opening hours -> the inventory form ('24/7' or {day: 'HH:MM-HH:MM'}).

    Understands 'lun-ven 9h-17h', 'du lundi au vendredi de 8h30 à 16h30', 'Mon-Fri 08:00-16:00;
    Sat 09:00-12:00', 'lun, mer 9h-12h, 14h-17h', 'semaine' / 'week-end' / 'tous les jours' and
    '24/7' / '24h/24'. Raises ValueError for anything else (the caller keeps it as a note).
    """
    if isinstance(text, dict):
        parse_hours(text)
        return text
    raw = str(text).strip()
    low = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode().lower()
    low = low.replace("’", "'").strip()
    if _ALWAYS.match(re.sub(r"\s+", " ", low)) or low in ("24/7", "unknown"):
        return "24/7" if low != "unknown" else "unknown"
    week: dict[int, list[str]] = {}
    for segment in re.split(r"[;\n]+", low):
        segment = segment.strip(" .")
        if not segment:
            continue
        days, rest = _days(segment)
        ranges = [_range(m) for m in _RANGE.finditer(rest)]
        if not days or not ranges:
            raise ValueError(f"cannot read opening hours '{raw}' (write e.g. 'lun-ven 9h-17h')")
        for d in days:
            week.setdefault(d, []).extend(ranges)
    out = {DAYS[d]: ",".join(r) for d, r in sorted(week.items())}
    parse_hours(out)  # the ranges must be valid times
    return out


def _range(m: re.Match[str]) -> str:
    h1, m1, h2, m2 = (int(x) if x else 0 for x in m.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
        raise ValueError(f"'{m.group(0)}' is not a time range")
    return f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}"


def _days(segment: str) -> tuple[list[int], str]:
    """The days a segment names at its start, and the rest of the segment."""
    s = segment
    phrases: tuple[tuple[str, tuple[int, ...]], ...] = (
        ("tous les jours", tuple(range(7))),
        ("everyday", tuple(range(7))),
        ("every day", tuple(range(7))),
        ("daily", tuple(range(7))),
        ("7j/7", tuple(range(7))),
        ("7/7", tuple(range(7))),
        ("en semaine", tuple(range(5))),
        ("semaine", tuple(range(5))),
        ("weekdays", tuple(range(5))),
        ("week-end", (5, 6)),
        ("weekend", (5, 6)),
    )
    for phrase, span in phrases:
        if s.startswith(phrase):
            return list(span), s[len(phrase) :]
    s = re.sub(r"^(du|le|les|from|on)\s+", "", s)
    m = re.match(
        rf"^({_DAY_TOKEN})\s*(?:-|–|—|au|a|to|through|until|jusqu'au)\s*({_DAY_TOKEN})(.*)$", s
    )
    if m and m[1].rstrip(".") in _DAY_WORDS and m[2].rstrip(".") in _DAY_WORDS:
        a, b = _DAY_WORDS[m[1].rstrip(".")], _DAY_WORDS[m[2].rstrip(".")]
        run = list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]
        return run, m[3]
    days: list[int] = []
    rest = s
    while True:
        m = re.match(rf"^\s*(?:,|et|and|&)?\s*({_DAY_TOKEN})(?=[\s,:&]|$)", rest)
        if not m or m[1].rstrip(".") not in _DAY_WORDS:
            break
        days.append(_DAY_WORDS[m[1].rstrip(".")])
        rest = rest[m.end() :]
    return days, rest
