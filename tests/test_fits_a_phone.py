"""Every message the bot builds from stored text fits Telegram's limits (bot/fit.py), and every
inline keyboard fits a phone's width."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.fit import MAX_CAPTION, MAX_TEXT, shorten, split_text, visible_length
from bot.fit_bot import fitted_requests
from storage import clock
from storage.meetings import NewMeeting, add_meeting, record_answer
from storage.models import (
    MeetingAnswer,
    MeetingAudience,
    MeetingInvite,
    MeetingKind,
    Role,
    RoleAssignment,
)
from storage.units import add_unit
from tests.factories import member, tree
from tests.fakebot import SentMessage
from tests.harness import RunningBot
from tests.test_meetings import SON, seed, user


def fits(message: SentMessage) -> bool:
    limit = MAX_TEXT if message.kind == "text" else MAX_CAPTION
    return visible_length(message.text or "", message.parse_mode) <= limit


# --- the one splitter -----------------------------------------------------------------------


def test_a_text_that_fits_is_left_alone() -> None:
    assert split_text("<b>Chào</b> &lt;các đồng chí&gt;", "HTML", 20) == [
        "<b>Chào</b> &lt;các đồng chí&gt;"
    ]


def test_a_long_text_is_cut_at_line_breaks_and_keeps_every_character() -> None:
    lines = [f"Dòng {n}: " + "chữ " * 30 for n in range(60)]
    parts = split_text("\n".join(lines), None, 1000)
    assert len(parts) > 1 and all(len(p) <= 1000 for p in parts)
    assert [s.rstrip() for s in "\n".join(parts).split("\n")] == [s.rstrip() for s in lines]


@pytest.mark.parametrize("limit", [50, 333, 1024])
def test_html_tags_open_at_a_cut_are_closed_and_opened_again(limit: int) -> None:
    text = "<b>Vắng: 3</b>\n<i>" + "lý do &lt;riêng&gt; " * 200 + "</i>\nHết"
    parts = split_text(text, "HTML", limit)
    assert all(visible_length(p, "HTML") <= limit for p in parts)
    assert all(p.count("<i>") == p.count("</i>") for p in parts)
    assert parts[-1].endswith("Hết")


def test_a_word_longer_than_the_limit_is_cut_inside() -> None:
    assert split_text("a" * 10, None, 4) == ["aaaa", "aaaa", "aa"]


def test_shorten_ends_with_an_ellipsis_only_when_it_cut() -> None:
    assert shorten("ngắn", None, 10) == "ngắn"
    assert shorten("một hai ba bốn năm", None, 10) == "một hai…"


# --- a reply built from stored text ---------------------------------------------------------


async def test_answers_card_with_long_agenda_and_reasons_reaches_the_secretary_whole(
    fast_bot: RunningBot,
) -> None:
    """Tried: a 2,841-character agenda and three 476-character absence reasons made a
    4,498-character card that Telegram refused; the secretary saw nothing."""
    bot = fast_bot
    ids = await seed(bot)
    agenda = ("Nội dung sinh hoạt: " + "đánh giá kết quả công tác tháng. " * 100)[:2841]
    reasons = [f"Lý do {n}: " + "đi công tác xa theo phân công của cơ quan. " * 12 for n in "ABC"]
    reasons = [reason[:476] for reason in reasons]
    async with bot.db(settle=False) as session:
        new = NewMeeting(
            unit_id=ids["cb1"],
            kind=MeetingKind.THEMATIC,
            audience=MeetingAudience.MEMBERS,
            starts_at=clock.now() + timedelta(days=3),
            place="Hội trường khu phố 1",
            agenda=agenda,
            created_by_member_id=ids["son"],
        )
        meeting = await add_meeting(session, new, [ids[k] for k in ("son", "an", "cuong", "dao")])
        absent = [ids["an"], ids["cuong"], ids["dao"]]
        for invite in await session.scalars(
            select(MeetingInvite).where(MeetingInvite.meeting_id == meeting.id)
        ):
            if invite.member_id in absent:
                reason = reasons[absent.index(invite.member_id)]
                record_answer(invite, MeetingAnswer.ABSENT, reason, clock.now())

    son = user(bot, SON)
    await son.send_text("📅 Sinh hoạt chi bộ")
    *_, managed = await son.wait_for_messages(3)
    [label] = [b for b in managed.buttons() if "Chuyên đề" in b]
    await son.press(label, message=managed)
    rest = await son.wait_for_message()  # the card is edited in place, the rest follows it
    await bot.settle()
    shown = [managed, rest, *son.messages[son.messages.index(rest) + 1 :]]
    assert all(fits(message) for message in shown)
    whole = "\n".join(message.text or "" for message in shown)
    assert agenda[-30:] in whole
    assert all(reason.strip()[-30:] in whole for reason in reasons)
    assert "<b>Vắng mặt: 3</b>" in whole
    assert shown[-1].buttons()[0] == "🔄 Cập nhật"


# --- every kind of request, at its longest --------------------------------------------------

MARKUP = {"inline_keyboard": [[{"text": "✅ Đã nhận", "callback_data": "nr:1"}]]}
LONGEST = "<b>Thông báo</b>\n" + "\n".join("• " + "&lt;nội dung&gt; " * 40 for _ in range(30))


@pytest.mark.parametrize(
    ("method", "field", "limit"),
    [
        ("sendMessage", "text", MAX_TEXT),
        ("editMessageText", "text", MAX_TEXT),
        ("sendPhoto", "caption", MAX_CAPTION),
        ("sendDocument", "caption", MAX_CAPTION),
    ],
)
def test_each_kind_of_message_at_its_longest_goes_out_within_the_limits(
    method: str, field: str, limit: int
) -> None:
    data = {"chat_id": 1, field: LONGEST, "parse_mode": "HTML", "reply_markup": MARKUP}
    requests = fitted_requests(method, data)
    assert len(requests) > 1
    assert requests[0][0] == method
    for name, part in requests:
        text = part.get("text") or part.get("caption") or ""
        assert visible_length(text, "HTML") <= (limit if name == method else MAX_TEXT)
    with_buttons = [part for _, part in requests if part.get("reply_markup")]
    assert with_buttons == [requests[0][1] if field == "caption" else requests[-1][1]]
    shown = " ".join(
        (part.get("text") or part.get("caption") or "").replace("\n", " ") for _, part in requests
    )
    assert shown.count("&lt;nội dung&gt;") == LONGEST.count("&lt;nội dung&gt;")


# --- a direct reply (not an edit) built from stored text -----------------------------------


async def test_my_record_with_many_long_unit_names_arrives_whole_in_parts(
    bot: RunningBot,
) -> None:
    """/me is a plain reply: a secretary of twenty branches whose names take the 255
    characters the roster allows made a 5,000-character record that the recorder refused
    (the person got an apology instead of their data)."""
    async with bot.db() as session:
        units = await tree(session)
        names = [(f"Chi bộ số {n:02d} " + "khu dân cư Hai Bà Trưng " * 11)[:255] for n in range(20)]
        branches = [
            await add_unit(session, f"CBX{n:02d}", name, "HU", True) for n, name in enumerate(names)
        ]
        son = await member(session, units["CB1"], "Trần Sơn", "0911000009", telegram_id=SON)
        for branch in branches:
            session.add(RoleAssignment(member_id=son.id, unit_id=branch.id, role=Role.SECRETARY))
    person = user(bot, SON)
    await person.send_text("/me")
    first = await person.wait_for_message()
    await bot.settle()
    shown = person.messages[person.messages.index(first) :]
    assert len(shown) > 1
    assert all(fits(message) for message in shown)
    whole = "\n".join(message.text or "" for message in shown)
    assert "Họ và tên: Trần Sơn" in whole
    assert all(name.strip() in whole.replace("\n", " ") for name in names)
    assert "Phiếu khảo sát đã trả lời: 0" in whole
    assert bot.fake.refused == []
