"""What the branch secretaries receive through the outbox about a member (in each reader's
language): a transfer to confirm, a confirmed transfer, a probation ending."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, Translator
from bot.settings import Settings
from handlers.members import buttons
from handlers.members.buttons import MemberRef, TransferRef
from handlers.shared.readers import reader_translator
from storage.models import MemberTransfer, Role, TransferKind, Unit
from storage.outbox import NewMessage, text_payload
from storage.plan_reports import committee_of

KIND_NAMES = {TransferKind.OFFICIAL: N_("Official"), TransferKind.TEMPORARY: N_("Temporary")}

Build = Callable[[Translator], tuple[str, dict[str, object] | None]]


async def to_secretaries(
    session: AsyncSession,
    branch: Unit,
    settings: Settings,
    build: Build,
    roles: tuple[Role, ...] = (Role.SECRETARY, Role.DEPUTY_SECRETARY),
) -> list[NewMessage]:
    """A message to each secretary and deputy (or `roles`) of the branch (or the nearest
    committee above), in their language."""
    messages = []
    for person in await committee_of(session, branch, roles):
        _ = reader_translator(person.account, settings)
        text, markup = build(_)
        chat_id = person.account.user_id if person.account else 0
        payload = text_payload(text, reply_markup=markup) if markup else text_payload(text)
        messages.append(NewMessage(chat_id, payload, member_id=person.member.id))
    return messages


def ask_confirm(transfer: MemberTransfer, _: Translator) -> tuple[str, dict[str, object] | None]:
    """To the receiving branch: the transfer, with ✅ Confirm receipt."""
    text = _(
        "📨 {name} is transferred ({kind}) from {branch} to your branch, introduction letter "
        "{number} of {date}. Confirm when you have received them.",
        name=escape(transfer.member.full_name),
        kind=_(KIND_NAMES[transfer.kind]).lower(),
        branch=escape(transfer.from_branch.name),
        number=escape(transfer.letter_no or "—"),
        date=_.date_text(transfer.letter_date),
    )
    button = buttons.TRANSFER_CONFIRM.json(_("✅ Confirm receipt"), TransferRef(transfer.id))
    return text, {"inline_keyboard": [[button]]}


def receipt_confirmed(
    transfer: MemberTransfer, to_branch: Unit
) -> Callable[[Translator], tuple[str, dict[str, object] | None]]:
    """To the sending branch: the receiving branch confirmed."""

    def told(_: Translator) -> tuple[str, dict[str, object] | None]:
        return _(
            "✅ {branch} confirmed receiving {name}.",
            branch=escape(to_branch.name),
            name=escape(transfer.member.full_name),
        ), None

    return told


def outcome_rows(member_id: int, _: Translator) -> list[list[dict[str, str]]]:
    """The probation's outcome buttons, as the outbox carries them."""
    ref = MemberRef(member_id)
    return [
        [buttons.RECOGNISED.json(_("✅ Recognised as full member"), ref)],
        [buttons.NOT_RECOGNISED.json(_("❌ Not recognised"), ref)],
    ]
