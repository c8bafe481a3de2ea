"""The branch members' drafts (an exemption, an admission or a recognition, a transfer) as
typed structures: drafts stored in the shape the handlers wrote before them are continued to
the end through the bot, and every stored shape loads with its step and is written back as it
was read."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from handlers.members.draft import (
    AdmissionDraft,
    ExemptionDraft,
    MemberTransferDraft,
    RecognitionDraft,
    probation_draft,
)
from storage import clock
from storage.flows import get_flow, save_flow
from storage.models import Member, Standing, TransferKind
from storage.probation import probation_end
from storage.standing import history, status_of
from storage.units import get_unit
from tests import test_member_status, test_probation, test_transfers
from tests.harness import RunningBot


@pytest.fixture
def bot(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


async def test_an_exemption_stored_at_the_note_is_continued_to_the_end(bot: RunningBot) -> None:
    ids = await test_member_status.seed(bot, "vi")
    son_id = test_member_status.SON
    today = clock.today(test_member_status.TZ)
    async with bot.db(settle=False) as s:  # as on_reason stored the reason "other"
        data = {"member_id": ids["an"], "reason": "other"}
        await save_flow(s, son_id, "standing", "note", data, clock.now())
    son = bot.fake.user(son_id, language_code="vi")
    await son.send_text("Đi làm ăn xa")
    assert "dd/mm/yyyy" in (await son.wait_for_message()).text
    async with bot.db() as s:
        state = await get_flow(s, son_id, "standing")
        assert state is not None and state.step == "from"
        assert state.data == {**data, "note": "Đi làm ăn xa"}
    await son.send_text(today.strftime("%d/%m/%Y"))
    until = await son.wait_for_message()
    await son.press(test_member_status.LABELS["vi"]["no_end"], message=until)
    done = await son.wait_for_message()
    assert done.text.startswith(test_member_status.LABELS["vi"]["recorded"])
    async with bot.db() as s:
        assert await status_of(s, ids["an"], today) == Standing.EXEMPT
        [*_, period] = await history(s, ids["an"])
        assert (period.detail, period.note, period.valid_from, period.valid_to) == (
            "other", "Đi làm ăn xa", today, None
        )  # fmt: skip
        assert await get_flow(s, son_id, "standing") is None


async def test_an_admission_sent_back_to_the_phone_is_continued_to_the_end(
    bot: RunningBot,
) -> None:
    """Stored as the decision step left it when the phone was refused: step `phone`, with the
    phone and the date still in the data. The phone, then the date, then the decision are
    asked again."""
    await test_probation.seed(bot, "vi")
    son_id = test_probation.SON
    admitted = clock.today(test_probation.TZ) - timedelta(days=30)
    async with bot.db(settle=False) as s:
        cb1 = await get_unit(s, "CB1")
        assert cb1 is not None
        data = {
            "branch_id": cb1.id,
            "full_name": "Nguyễn Mới",
            "phone": "0919000003",  # Lê An's
            "admitted_on": (admitted - timedelta(days=3)).isoformat(),
        }
        await save_flow(s, son_id, "probation", "phone", data, clock.now())
    son = bot.fake.user(son_id, language_code="vi")
    for answer in ("0919 000 099", admitted.strftime("%d/%m/%Y"), "15-QĐ/ĐU"):
        await son.send_text(answer)
        reply = await son.wait_for_message()
    assert reply.text.startswith(test_probation.TEXT["vi"]["recorded"])
    assert probation_end(admitted).strftime("%d/%m/%Y") in reply.text
    async with bot.db() as s:
        new = await s.scalar(select(Member).where(Member.phone == "+84919000099"))
        assert new is not None and new.full_name == "Nguyễn Mới"
        [period] = await history(s, new.id)
        assert (period.status, period.valid_from, period.decision_no) == (
            Standing.PROBATIONARY, admitted, "15-QĐ/ĐU"
        )  # fmt: skip
        assert await get_flow(s, son_id, "probation") is None


async def test_a_transfer_stored_at_the_destination_is_continued_to_the_end(
    bot: RunningBot,
) -> None:
    """Stored after the search was typed: "Not in the bot" pressed, then the letter."""
    ids = await test_transfers.seed(bot, son_language="en")
    son_id = test_transfers.SON
    today = clock.today(test_transfers.TZ)
    son = bot.fake.user(son_id, language_code="en")
    await son.send_text("👥 Branch members")
    menu = await son.wait_for_message()
    async with bot.db(settle=False) as s:
        data = {"member_id": ids["lan"], "kind": "official", "typed": "Đảng bộ tỉnh Gia Lai"}
        await save_flow(s, son_id, "transfer", "where", data, clock.now())
    await son.press_data(f"tro:{ids['lan']}", message=menu)  # the button under the search
    await son.wait_for_message()
    await son.send_text("07/GGT")
    await son.wait_for_message()
    await son.send_text(today.strftime("%d/%m/%Y"))
    done = await son.wait_for_message()
    assert done.text == (
        "Recorded: <b>Lê Lan</b> is transferred to Đảng bộ tỉnh Gia Lai and leaves the roster."
    )
    async with bot.db() as s:
        [*_, period] = await history(s, ids["lan"])
        assert (period.status, period.note, period.decision_no) == (
            Standing.TRANSFERRED_OUT, "Đảng bộ tỉnh Gia Lai", "07/GGT"
        )  # fmt: skip
        assert await get_flow(s, son_id, "transfer") is None


async def test_a_transfer_stored_at_the_letter_number_is_continued_to_the_end(
    bot: RunningBot,
) -> None:
    ids = await test_transfers.seed(bot, son_language="vi")
    son_id = test_transfers.SON
    today = clock.today(test_transfers.TZ)
    async with bot.db(settle=False) as s:
        data = {
            "member_id": ids["lan"],
            "kind": "official",
            "typed": "khu pho 2",
            "to_branch_id": ids["cb2"],
            "to_name": "Chi bộ Khu phố 2",
        }
        await save_flow(s, son_id, "transfer", "letter_no", data, clock.now())
    son = bot.fake.user(son_id, language_code="vi")
    await son.send_text("12/GGT")
    await son.wait_for_message()
    await son.send_text(today.strftime("%d/%m/%Y"))
    sent = await son.wait_for_message()
    assert sent.text.startswith("Đã gửi Chi bộ Khu phố 2 để xác nhận")
    async with bot.db() as s:
        assert await get_flow(s, son_id, "transfer") is None


D = "2026-06-01"
EXEMPTION_SHAPES: list[tuple[dict[str, Any], str]] = [
    ({"member_id": 7, "reason": "other"}, "note"),
    ({"member_id": 7, "reason": "age"}, "from"),
    ({"member_id": 7, "reason": "other", "note": "Ốm"}, "from"),
    ({"member_id": 7, "reason": "age", "from": D}, "until"),
    ({"member_id": 7, "reason": "other", "note": "Ốm", "from": D}, "until"),
]
ADMISSION_SHAPES: list[tuple[dict[str, Any], str]] = [
    ({"branch_id": 3}, "name"),
    ({"branch_id": 3, "full_name": "Nguyễn Mới"}, "phone"),
    ({"branch_id": 3, "full_name": "Nguyễn Mới", "phone": "0919"}, "date"),
    ({"branch_id": 3, "full_name": "Nguyễn Mới", "phone": "0919", "admitted_on": D}, "decision"),
]
TO_CB = {"member_id": 7, "kind": "official", "typed": "x", "to_branch_id": 4, "to_name": "CB"}
OUTSIDE = {"typed": "Gia Lai", "to_branch_id": None, "to_name": "Gia Lai"}
TRANSFER_SHAPES: list[tuple[dict[str, Any], str]] = [
    ({"member_id": 7, "kind": "official"}, "where"),
    ({"member_id": 7, "kind": "temporary", "typed": "khu pho"}, "where"),
    (TO_CB, "letter_no"),
    ({"member_id": 7, "kind": "official", **OUTSIDE}, "letter_no"),
    ({**TO_CB, "letter_no": "12/GGT"}, "letter_date"),
]


def test_the_shapes_of_today_load_with_their_step_and_dump_as_they_were() -> None:
    for data, step in EXEMPTION_SHAPES:
        exemption = ExemptionDraft.load(data)
        assert (exemption.step, exemption.dump()) == (step, data)
    for data, step in ADMISSION_SHAPES:
        admission = probation_draft(data, step)
        assert isinstance(admission, AdmissionDraft)
        assert (admission.step, admission.dump()) == (step, data)
        assert probation_draft(data).step == step  # the step column is not needed
    recognition = probation_draft({"member_id": 9}, "recognised")
    assert recognition == RecognitionDraft(9) and recognition.step == "recognised"
    assert recognition.dump() == {"member_id": 9}
    for data, step in TRANSFER_SHAPES:
        transfer = MemberTransferDraft.load(data)
        assert (transfer.step, transfer.dump()) == (step, data)


def test_the_loaded_drafts_hold_what_was_stored() -> None:
    assert ExemptionDraft.load(EXEMPTION_SHAPES[-1][0]) == ExemptionDraft(
        7, "other", "Ốm", date(2026, 6, 1)
    )
    assert AdmissionDraft.load(ADMISSION_SHAPES[-1][0]) == AdmissionDraft(
        3, "Nguyễn Mới", "0919", date(2026, 6, 1)
    )
    assert MemberTransferDraft.load(TRANSFER_SHAPES[-1][0]) == MemberTransferDraft(
        7, TransferKind.OFFICIAL, "x", "CB", 4, "12/GGT"
    )
    outside = MemberTransferDraft.load(TRANSFER_SHAPES[3][0])
    assert (outside.to_branch_id, outside.to_name) == (None, "Gia Lai")


def test_an_admission_sent_back_asks_that_step_and_the_ones_after_it_again() -> None:
    """A refused phone or admission date at the end stored the draft whole, with the step
    to ask again: that answer and the later ones count as not given."""
    whole = ADMISSION_SHAPES[-1][0]
    phone = AdmissionDraft.load(whole, "phone")
    assert phone.step == "phone"
    assert phone.dump() == {"branch_id": 3, "full_name": "Nguyễn Mới"}
    day = AdmissionDraft.load(whole, "date")
    assert day.step == "date" and day.phone == "0919" and day.admitted_on is None
    assert AdmissionDraft.load(whole, "decision").dump() == whole


def test_each_draft_moves_on_to_the_step_it_lacks_next() -> None:
    exemption = ExemptionDraft(7, "other").with_note("Ốm").with_start(date(2026, 6, 1))
    assert exemption.dump() == EXEMPTION_SHAPES[-1][0]
    admission = AdmissionDraft(3).with_name("Nguyễn Mới").with_phone("0919")
    assert admission.with_date(date(2026, 6, 1)).dump() == ADMISSION_SHAPES[-1][0]
    transfer = MemberTransferDraft(7, TransferKind.OFFICIAL).with_typed("x").to(4, "CB")
    assert transfer.with_letter_no("12/GGT").dump() == TRANSFER_SHAPES[-1][0]
