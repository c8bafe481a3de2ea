"""Texts a member reads: what the bot says to a sticker, a photo or an unknown command, the
language by name, and the weekday in a meeting invitation."""

from __future__ import annotations

import pytest

from tests.harness import RunningBot
from tests.test_meetings import AN, create_meeting, received, seed, user
from tests.test_notices import outbox_idle


@pytest.fixture
def bot(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


async def test_sticker_photo_and_unknown_command_get_what_to_do_now(bot: RunningBot) -> None:
    """Seen: a sticker or a photo got no reply at all, and an unknown command neither."""
    await seed(bot)
    an = user(bot, AN)
    sticker = {
        "file_id": "s1",
        "file_unique_id": "u1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    bot.fake.push_update({"message": an._message_json(None, sticker=sticker)})
    reply = await an.wait_for_message()
    assert "chọn một mục trong menu bên dưới" in (reply.text or "")
    assert "📅 Sinh hoạt chi bộ" in reply.keyboard()
    await an.send_media("photo", file_name="anh.jpg")
    reply = await an.wait_for_message()
    assert (reply.text or "").startswith("Tôi không dùng được nội dung này ở đây.")
    await an.send_text("/lichhop")
    reply = await an.wait_for_message()
    assert (reply.text or "").startswith("Tôi không biết lệnh /lichhop.")
    assert "/help" in (reply.text or "")


async def test_me_names_the_language(bot: RunningBot) -> None:
    """Seen: "Ngôn ngữ: vi"."""
    await seed(bot)
    an = user(bot, AN)
    await an.send_text("/me")
    shown = "\n".join(m.text or "" for m in await an.wait_for_messages(1))
    assert "Ngôn ngữ: Tiếng Việt" in shown


async def test_meeting_invitation_names_the_weekday(bot: RunningBot) -> None:
    await seed(bot)
    await create_meeting(bot, "25/12/2099 19:30")  # a Friday
    await outbox_idle(bot)
    [invitation] = received(bot, AN, "📨")
    assert "🕒 Thứ Sáu, 25/12/2099 19:30" in (invitation.text or "")


def test_english_counts_agree_with_their_noun() -> None:
    """Seen: "Invite 1 members?"."""
    from bot.i18n import translator

    english, vietnamese = translator("en"), translator("vi")
    forms = ("Invite {count} member?", "Invite {count} members?")
    assert english.plural(*forms, 1) == "Invite 1 member?"
    assert english.plural(*forms, 4) == "Invite 4 members?"
    assert vietnamese.plural(*forms, 1) == "Mời 1 đảng viên?"


async def test_text_typed_at_a_button_question_brings_the_question_back(
    bot: RunningBot,
) -> None:
    """Seen: "Vui lòng trả lời bằng các nút ở trên." with the buttons long scrolled away."""
    from tests.survey_helpers import AN as SURVEY_AN
    from tests.survey_helpers import EVERY_KIND, answer_press, invitation, make_survey
    from tests.survey_helpers import seed as survey_seed

    ids = await survey_seed(bot)
    await make_survey(bot, ids, EVERY_KIND)
    member = bot.fake.user(SURVEY_AN)
    await invitation(bot, SURVEY_AN)
    member.mark_action()
    rating = await answer_press(bot, member, "✍️ Trả lời")
    await member.send_text("năm điểm")
    note, again = await member.wait_for_messages(2)
    assert (note.text or "").startswith("Đồng chí vui lòng trả lời bằng các nút")
    assert again.text == rating.text and again.buttons() == rating.buttons()
