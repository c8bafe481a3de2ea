"""Every inline keyboard the bot can show fits a phone: walks the button declarations in
handlers/ and its feature packages (each InlineKeyboardButton, each Bot API button dict, and
each button made by the codec: `KIND.button(label, ...)` / `KIND.json(label, ...)`) and checks
every label the catalogs can put there, in both languages.

A label is measured without its placeholders (names of people and units are cut at run time by
bot/fit.py's `button_label`); a label over LABEL_LIMIT, or a long label in a row of three or more,
is cut off on a phone.
Three buttons to a row share a phone's width: each label must then be short.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.fit import LABEL_LIMIT
from bot.i18n import LANGUAGES, LOCALES_DIR
from storage import clock
from storage.meetings import NewMeeting, add_meeting
from storage.models import MeetingAudience, MeetingKind, Role, RoleAssignment
from storage.notices import add_notice
from storage.survey_questions import Kind, Question
from storage.surveys import NewSurvey, add_survey
from storage.units import add_unit
from tests import factories
from tests.fakebot import SentMessage
from tests.harness import RunningBot

ROOT = Path(__file__).resolve().parent.parent
BUTTON_CALLS = {"InlineKeyboardButton", "Button"}
CODEC_CALLS = {"button", "json"}  # handlers/shared/buttons.py: ButtonKind.button / ButtonKind.json
LONG = 12  # a phone shows three buttons to a row at about this width each
PLACEHOLDER = re.compile(r"\{[^}]*\}")


@dataclass(frozen=True)
class Declared:
    where: str
    labels: tuple[str, ...]  # msgids this button can show


def _msgids(node: ast.AST, named: dict[str, list[str]]) -> list[str]:
    """The catalog texts an expression can evaluate to: literals in _() / N_(), and the N_()
    texts of module-level tables it looks up."""
    found: list[str] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and getattr(sub.func, "id", None) in ("_", "N_"):
            first = sub.args[0] if sub.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append(first.value)
        elif isinstance(sub, ast.Name) and sub.id in named:
            found.extend(named[sub.id])
    return found


def _tables(trees: dict[str, ast.Module]) -> dict[str, list[str]]:
    """Module-level NAME = {... N_("...") ...} tables of every handler module."""
    tables: dict[str, list[str]] = {}
    for tree in trees.values():
        for statement in tree.body:
            if isinstance(statement, ast.Assign | ast.AnnAssign):
                target = (
                    statement.targets[0] if isinstance(statement, ast.Assign) else statement.target
                )
                if isinstance(target, ast.Name) and statement.value is not None:
                    texts = _msgids(statement.value, {})
                    if texts:
                        tables[target.id] = texts
    return tables


def _label_node(node: ast.AST) -> ast.AST | None:
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) in BUTTON_CALLS:
        return node.args[0] if node.args else None
    if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in CODEC_CALLS:
        return node.args[0] if node.args else None
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value == "text":
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                return value if "callback_data" in keys or "url" in keys else None
    return None


def _declarations() -> tuple[list[Declared], list[list[Declared]]]:
    handlers = ROOT / "handlers"
    trees = {
        path.relative_to(handlers).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(handlers.rglob("*.py"))
    }
    named = _tables(trees)
    buttons: list[Declared] = []
    rows: list[list[Declared]] = []
    for name, tree in trees.items():
        for node in ast.walk(tree):
            label = _label_node(node)
            if label is not None:
                buttons.append(Declared(f"{name}:{node.lineno}", tuple(_msgids(label, named))))  # type: ignore[attr-defined]
            rows.extend(_rows_in(node, name, named))
    return buttons, rows


def _rows_in(node: ast.AST, name: str, named: dict[str, list[str]]) -> list[list[Declared]]:
    """Rows written out ([button, button, button]) and rows made by a comprehension over a
    table ([Button(_(NAMES[x])) for x in ...]: one button per entry of the table)."""
    if isinstance(node, ast.List):
        labels = [_label_node(element) for element in node.elts]
        row = [
            Declared(f"{name}:{node.lineno}", tuple(_msgids(label, named)))
            for label in labels
            if label is not None
        ]
        return [row] if len(row) >= 2 else []
    if isinstance(node, ast.ListComp):
        label = _label_node(node.elt)
        if label is not None:
            texts = _msgids(label, named)
            return [[Declared(f"{name}:{node.lineno}", (text,)) for text in texts]]
    return []


def _catalog(language: str) -> dict[str, str]:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return {m.id: m.string for m in read_po(po) if m.id and m.string}


def _shown(msgid: str, catalog: dict[str, str]) -> str:
    return PLACEHOLDER.sub("", catalog.get(msgid) or msgid).strip()


def test_the_walk_finds_the_keyboards() -> None:
    buttons, rows = _declarations()
    assert len(buttons) > 80 and len(rows) > 10
    assert any("◐ Partly done" in b.labels for b in buttons)
    made_by_codec = {b.where.split(":")[0] for b in buttons if "📤 Send" in b.labels}
    assert "notices/compose.py" in made_by_codec


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_button_label_fits_a_phone(language: str) -> None:
    catalog = _catalog(language)
    buttons, _rows = _declarations()
    too_long = sorted(
        {
            f"{b.where}: {_shown(msgid, catalog)!r}"
            for b in buttons
            for msgid in b.labels
            if len(_shown(msgid, catalog)) > LABEL_LIMIT
        }
    )
    assert too_long == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_rows_of_three_hold_only_short_buttons(language: str) -> None:
    catalog = _catalog(language)
    _buttons, rows = _declarations()
    crowded = []
    for row in rows:
        longest = [max((_shown(m, catalog) for m in b.labels), key=len, default="") for b in row]
        if len(row) > 2 and any(len(label) > LONG for label in longest):
            crowded.append(f"{row[0].where}: {longest}")
    assert crowded == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_button_label_starts_with_a_capital(language: str) -> None:
    """Seen: exemption categories offered as "lực lượng vũ trang…" buttons."""
    catalog = _catalog(language)
    buttons, _rows = _declarations()
    lower = sorted(
        {
            f"{b.where}: {shown!r}"
            for b in buttons
            for shown in (_shown(m, catalog) for m in b.labels)
            if next((c for c in shown if c.isalpha()), "A").islower()
        }
    )
    assert lower == []


# --- labels built at run time from stored values ------------------------------------------

SON = 951


def _longest(n: str) -> str:
    return (f"Chi bộ {n} " + "khu dân cư Hai Bà Trưng " * 11)[:255]


async def _seed_longest(bot: RunningBot) -> None:
    """Sơn is the secretary of two branches whose names take the 255 characters allowed;
    each has a meeting of every kind, a long notice and a survey with the longest title."""
    now = clock.now()
    async with bot.db(settle=False) as session:
        await factories.tree(session)
        units = [await add_unit(session, f"CBL{n}", _longest(n), "HU", True) for n in "AB"]
        son = await factories.member(
            session, units[0], "Trần Sơn", "0911000051", telegram_id=SON, role=Role.SECRETARY
        )
        session.add(RoleAssignment(member_id=son.id, unit_id=units[1].id, role=Role.SECRETARY))
        for unit in units:
            for kind in MeetingKind:
                new = NewMeeting(
                    unit_id=unit.id,
                    kind=kind,
                    audience=MeetingAudience.MEMBERS,
                    starts_at=now + timedelta(days=3),
                    place="Hội trường",
                    agenda="Nội dung",
                    created_by_member_id=son.id,
                )
                await add_meeting(session, new, [])
            await add_notice(session, unit.id, son.id, "Kính gửi các đồng chí đảng viên " * 60)
            survey = NewSurvey(
                unit_id=unit.id,
                title=("Khảo sát ý kiến đảng viên về nội dung sinh hoạt " * 6)[:255],
                questions=[Question("Có dự đủ không?", Kind.YESNO)],
                anonymous=False,
                min_responses=5,
                opens_at=now,
                created_by_member_id=son.id,
            )
            await add_survey(session, survey)
    bot.fake.user(SON, language_code="vi")


def _too_wide(message: SentMessage) -> list[str]:
    rows = (message.reply_markup or {}).get("inline_keyboard") or []
    labels = [str(button["text"]) for row in rows for button in row]
    crowded = [str(row) for row in rows if len(row) > 2]
    return [label for label in labels if len(label) > LABEL_LIMIT] + crowded


async def test_lists_of_meetings_notices_and_surveys_fit_a_phone_at_their_longest(
    fast_bot: RunningBot,
) -> None:
    """Seen: `25/12/2026 19:30 · Sinh hoạt chi bộ thường kỳ · Chi bộ Khu phố 1` (55
    characters), cut on a phone where the date or the branch mattered."""
    bot = fast_bot
    await _seed_longest(bot)
    son = bot.fake.user(SON, language_code="vi")
    await son.send_text("📅 Sinh hoạt chi bộ")
    *_, meetings = await son.wait_for_messages(3)
    assert len(meetings.buttons()) == 1 + 2 * len(MeetingKind) + 2
    assert _too_wide(meetings) == []
    assert any(label.startswith("📊 Điểm danh năm") for label in meetings.buttons())

    await son.send_text("📣 Gửi thông báo")
    menu = await son.wait_for_message()
    await son.press("📋 Thông báo đã gửi", message=menu)
    await bot.fake.wait_until(lambda: any("Kính gửi" in b for b in menu.buttons()))
    assert _too_wide(menu) == [] and any("Kính gửi" in label for label in menu.buttons())

    await son.send_text("🗳 Khảo sát")
    await bot.fake.wait_until(lambda: any("svlist" in str(m.reply_markup) for m in son.messages))
    listing = next(m for m in son.messages if "svlist" in str(m.reply_markup))
    await son.press("📋 Phiếu đã gửi", message=listing)
    await bot.fake.wait_until(lambda: any("Khảo sát ý kiến" in b for b in listing.buttons()))
    assert _too_wide(listing) == []
    assert all(label.endswith("…") for label in listing.buttons() if "Khảo sát ý kiến" in label)


async def test_the_members_list_fits_a_phone_with_the_longest_names(fast_bot: RunningBot) -> None:
    """Each member's row holds two buttons with their name (link, standing): a 255-character
    name made both too wide for a phone."""
    bot = fast_bot
    name = ("Nguyễn Thị Hồng Nhung " * 12)[:255]
    async with bot.db(settle=False) as session:
        units = await factories.tree(session)
        await factories.member(
            session, units["CB1"], "Trần Sơn", "0911000051", telegram_id=SON, role=Role.SECRETARY
        )
        await factories.member(session, units["CB1"], name, "0911000052", telegram_id=952)
        await factories.member(session, units["CB1"], name, "0911000053")
    son = bot.fake.user(SON, language_code="vi")
    await son.send_text("👥 Đảng viên chi bộ")
    await bot.fake.wait_until(lambda: any("📋" in b for m in son.messages for b in m.buttons()))
    listing = next(m for m in son.messages if any("📋" in b for b in m.buttons()))
    assert _too_wide(listing) == []
    assert any(label.startswith("🔓") and label.endswith("…") for label in listing.buttons())
    assert any(label.startswith("🔗") and label.endswith("…") for label in listing.buttons())
