"""gettext catalogs: English msgids in code, Vietnamese (default) and English in `locales/`."""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def N_(msgid: str) -> str:
    """Marks a msgid for extraction where it is translated later (menu labels, enums)."""
    return msgid


WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
# Each language by its own name, as people look for it in a list.
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


class Translator:
    """`_("Hello, {name}", name=...)`: translate, then fill named placeholders."""

    def __init__(
        self, language: str, catalog: gettext.NullTranslations, tz: tzinfo = DEFAULT_TZ
    ) -> None:
        self.language = language
        self._catalog = catalog
        self.tz = tz

    def __call__(self, msgid: str, **values: object) -> str:
        text = self._catalog.gettext(msgid)
        return text.format(**values) if values else text

    def local(self, value: datetime) -> datetime:
        """Stored times are UTC (SQLite drops the zone); people read them in local time."""
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(self.tz)

    def date_text(self, value: date | datetime | None) -> str:
        if isinstance(value, datetime):
            value = self.local(value)
        return value.strftime("%d/%m/%Y") if value else "—"

    def time_text(self, value: datetime | None) -> str:
        return self.local(value).strftime("%H:%M") if value else "—"

    def datetime_text(self, value: datetime | None) -> str:
        return self.local(value).strftime("%d/%m/%Y %H:%M") if value else "—"

    def plural(self, singular: str, plural: str, count: int, **values: object) -> str:
        """`_.plural("Invite {count} member?", "Invite {count} members?", n)`: the form that
        fits n in the reader's language (English has two, Vietnamese one)."""
        return self._catalog.ngettext(singular, plural, count).format(count=count, **values)

    def weekday_text(self, value: datetime) -> str:
        """The local day of the week ("Thứ Năm"): an invitation names the day people plan by."""
        return self(WEEKDAYS[self.local(value).weekday()])

    @property
    def language_name(self) -> str:
        return LANGUAGE_NAMES.get(self.language, self.language)


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    # Compiled in memory from the .po file, so a stale .mo can never shadow an edit.
    po_path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def pick_language(stored: str | None, telegram_code: str | None, default: str) -> str:
    """Stored choice, else Telegram's language, else the deployment's default."""
    for candidate in (stored, (telegram_code or "").split("-")[0].lower()):
        if candidate in LANGUAGES:
            return candidate
    return default if default in LANGUAGES else DEFAULT_LANGUAGE


def translator(language: str, tz: tzinfo = DEFAULT_TZ) -> Translator:
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return Translator(lang, _catalog(lang), tz)


Gettext = Callable[..., str]
