"""Administration commands: organisation units, roster import, roles and invite links."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.support import TOKEN_REFUSED, Rollback, fail, load_settings, run_in_transaction
from bot.file_problems import limit_text
from bot.i18n import N_, Translator
from storage import audit, clock
from storage.exports.roster import ROLE_LABELS
from storage.file_limits import FileTooLarge
from storage.invites import create_invite
from storage.members import find_member
from storage.models import Role, Unit
from storage.roles import grant_role, revoke_role
from storage.roster import ImportSummary, import_roster
from storage.roster_file import ROLES, Problem, Roster, RosterFileError, read_roster
from storage.text import fold
from storage.units import UnitError, add_unit, depth, get_unit, list_units

PROBLEMS = {
    "name_missing": N_("line {line}: the full name is missing"),
    "phone_invalid": N_('line {line}: "{value}" is not a valid phone number'),
    "date_invalid": N_('line {line}: "{value}" is not a valid date of birth (dd/mm/yyyy)'),
    "role_unknown": N_('line {line}: unknown role "{value}"'),
    "duplicate_phone": N_("line {line}: the same phone number as line {value}"),
    "duplicate_card": N_("line {line}: the same party card number as line {value}"),
    "other_branch": N_("line {line}: this member is on the roster of another branch"),
    "phone_taken": N_("line {line}: the phone number belongs to another member"),
    "same_member": N_("line {line}: the same member as line {value}"),
    "card_mismatch": N_(
        "line {line}: the member with this phone number has a different party card number"
    ),
    "value_too_long": N_('line {line}: the value in column "{value}" is too long'),
    "admission_invalid": N_('line {line}: "{value}" is not a valid admission date (dd/mm/yyyy)'),
    "official_invalid": N_(
        'line {line}: "{value}" is not a valid date of recognition (dd/mm/yyyy)'
    ),
    "official_before_admission": N_("line {line}: the official date is before the admission date"),
    "status_unknown": N_('line {line}: unknown status "{value}"'),
    "formula_not_computed": N_(
        'line {line}: the formula in column "{value}" has no computed value; open the file '
        "in Excel or LibreOffice, save it and try again"
    ),
}
FILE_PROBLEMS = {
    "not_utf8": N_('The file is not UTF-8 text. Save it as "CSV UTF-8" or as XLSX.'),
    "not_xlsx": N_("The file cannot be read as an XLSX workbook."),
    "not_csv": N_("The file cannot be read as CSV (check its quotes)."),
    "no_delimiter": N_(
        "The columns of the file cannot be told apart. The first row must hold the column "
        "names, separated by commas, semicolons or tabs."
    ),
    "missing_columns": N_(
        "The file has no column for: {value}. The first row must hold the "
        'column names (for example "Họ và tên", "Số điện thoại").'
    ),
    "unit_exists": N_("A unit with the code {code} already exists."),
    "parent_missing": N_("There is no unit with the code {code}."),
    "parent_is_branch": N_("The unit {code} is a branch; branches cannot contain units."),
}


@click.group(help=N_("The organisation tree: party committees and their branches."))
def unit() -> None:
    pass


@unit.command("add", help=N_("Add a unit with a short CODE and its full NAME."))
@click.argument("code")
@click.argument("name")
@click.option("--parent", "parent_code", help=N_("Code of the committee this unit belongs to."))
@click.option("--branch", "is_branch", is_flag=True, help=N_("The unit is a branch (chi bộ)."))
@click.option(
    "--residential",
    is_flag=True,
    help=N_(
        "A residential branch (khu phố, thôn): its members need no residence tie.",
    ),
)
def unit_add(
    code: str, name: str, parent_code: str | None, is_branch: bool, residential: bool
) -> None:
    settings, _ = load_settings()

    async def work(session: AsyncSession) -> str:
        created = await add_unit(session, code, name, parent_code, is_branch, residential)
        await audit.record(session, "unit_added", actor_label="cli", unit_id=created.id)
        return created.name

    try:
        added = run_in_transaction(settings, work)
    except UnitError as error:
        fail(_(FILE_PROBLEMS[error.code], **error.values))
    click.echo(_("Unit {code} added: {name}", code=code, name=added))


@unit.command("list", help=N_("Show the organisation tree."))
def unit_list() -> None:
    settings, _ = load_settings()

    async def work(session: AsyncSession) -> list[str]:
        return [
            f"{'  ' * depth(u)}{u.code}  {u.name}  ({_unit_kind(u, _)})"
            for u in await list_units(session)
        ]

    lines = run_in_transaction(settings, work)
    click.echo("\n".join(lines) if lines else _("No units yet. Add one with: chibo unit add"))


def _unit_kind(unit: Unit, _: Translator) -> str:
    if unit.is_residential:
        return _("residential branch")
    return _("branch") if unit.is_branch else _("party committee")


@click.group(help=N_("Branch rosters."))
def roster() -> None:
    pass


@roster.command(
    "import",
    help=N_("Import a roster from a CSV (UTF-8) or XLSX FILE into a branch: every row or none."),
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--branch", "branch_code", required=True, help=N_("Code of the branch."))
@click.option("--dry-run", is_flag=True, help=N_("Check the file and report, store nothing."))
def roster_import(file: Path, branch_code: str, dry_run: bool) -> None:
    settings, _ = load_settings()

    def progress(rows: int) -> None:  # from the start: a large file takes a while to read
        click.echo(
            _.plural(
                "Read and checked {rows} row…", "Read and checked {rows} rows…", rows, rows=rows
            ),
            err=True,
        )

    try:
        parsed = read_roster(file, clock.today(settings.tz), progress)
    except RosterFileError as error:
        fail(_(FILE_PROBLEMS[error.code], value=error.value))
    except FileTooLarge as error:
        fail(_("Nothing was imported.") + " " + limit_text(error, _))
    summary = _import(settings, parsed, branch_code, dry_run, _)
    if summary.problems:
        lines = [_("Nothing was imported. Fix these rows and try again:")]
        lines += [_problem_text(p, _) for p in sorted(summary.problems, key=lambda p: p.line)]
        fail("\n".join(lines))
    verdict = _("Check passed, nothing stored (dry run).") if dry_run else _("Import finished.")
    click.echo(
        verdict
        + " "
        + _(
            "Added: {added}, updated: {updated}, unchanged: {unchanged}.",
            added=summary.added,
            updated=summary.updated,
            unchanged=summary.unchanged,
        )
    )
    for name, granted in summary.roles_granted:
        click.echo(_("Role granted: {name}, {role}", name=name, role=_(ROLE_LABELS[granted])))


def _import(
    settings: Any, parsed: Roster, code: str, dry_run: bool, _: Translator
) -> ImportSummary:
    async def work(session: AsyncSession) -> ImportSummary:
        branch = await get_unit(session, code)
        if branch is None or not branch.is_branch:
            raise Rollback(None)
        with click.progressbar(length=len(parsed.rows), label=_("Importing"), file=None) as bar:
            today = clock.today(settings.tz)
            summary = await import_roster(session, branch, parsed, bar.update, today)
        if summary.problems or dry_run:
            raise Rollback(summary)
        await audit.record(
            session,
            "roster_imported",
            actor_label="cli",
            unit_id=branch.id,
            details={"added": summary.added, "updated": summary.updated},
        )
        return summary

    try:
        return run_in_transaction(settings, work)
    except Rollback as rollback:
        if rollback.result is None:
            fail(_("There is no branch with the code {code}.", code=code))
        assert isinstance(rollback.result, ImportSummary)
        return rollback.result


def _problem_text(problem: Problem, _: Translator) -> str:
    return _(PROBLEMS[problem.code], line=problem.line, value=problem.value)


class RoleParam(click.ParamType[Role]):
    """A role as people say it: `bí thư`, `phó bí thư`, `chi ủy viên` (tone marks optional),
    or the English codes `secretary`, `deputy_secretary`, `committee_member`."""

    name = "role"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Role:
        if isinstance(value, Role):
            return value
        text = str(value)
        found = ROLES.get(fold(text).replace("_", " ")) or ROLES.get(text.lower())
        if found is None:
            _ = load_settings()[1]
            self.fail(
                _("unknown role “{value}”: say bí thư, phó bí thư or chi ủy viên.", value=text)
            )
        return found


ROLE_CHOICE = RoleParam()


@click.group(help=N_("Roles of members over units (bí thư, phó bí thư, chi ủy viên)."))
def role() -> None:
    pass


@role.command(
    "grant",
    help=N_(
        "Give PERSON (phone or party card number) a ROLE (bí thư, phó bí thư, chi ủy "
        "viên) over a unit and all units under it."
    ),
)
@click.argument("person")
@click.argument("role_name", metavar="ROLE", type=ROLE_CHOICE)
@click.option("--unit", "unit_code", required=True, help=N_("Code of the unit the role covers."))
def role_grant(person: str, role_name: Role, unit_code: str) -> None:
    _change_role(person, role_name, unit_code, grant=True)


@role.command(
    "revoke", help=N_("Take a ROLE over a unit away from PERSON (phone or party card number).")
)
@click.argument("person")
@click.argument("role_name", metavar="ROLE", type=ROLE_CHOICE)
@click.option("--unit", "unit_code", required=True, help=N_("Code of the unit."))
def role_revoke(person: str, role_name: Role, unit_code: str) -> None:
    _change_role(person, role_name, unit_code, grant=False)


def _change_role(person: str, role_value: Role, unit_code: str, grant: bool) -> None:
    settings, _ = load_settings()

    async def work(session: AsyncSession) -> str:
        member = await find_member(session, person)
        target = await get_unit(session, unit_code)
        if member is None:
            raise Rollback(
                _("No member has the phone or party card number {person}.", person=person)
            )
        if target is None:
            raise Rollback(_("There is no unit with the code {code}.", code=unit_code))
        change = grant_role if grant else revoke_role
        if not await change(session, member, role_value, target):
            return _("Nothing to change.")
        action = "role_granted" if grant else "role_revoked"
        await audit.record(
            session,
            action,
            actor_label="cli",
            unit_id=target.id,
            object_type="member",
            object_id=member.id,
            details={"role": role_value.value},
        )
        return _("Done: {name}.", name=member.full_name)

    try:
        click.echo(run_in_transaction(settings, work))
    except Rollback as error:  # scripts must see a failed grant in the exit code
        fail(str(error.result))


@click.group(help=N_("One-time invite links that link a member's Telegram account."))
def invite() -> None:
    pass


@invite.command(
    "create", help=N_("Print a one-time link https://t.me/<bot>?start=<code> for a member.")
)
@click.option("--member", "person", required=True, help=N_("Phone or party card number."))
@click.option("--bot-username", help=N_("The bot's @username, if BOT_TOKEN is not set here."))
def invite_create(person: str, bot_username: str | None) -> None:
    settings, _ = load_settings()
    username = bot_username or _bot_username(settings)

    async def work(session: AsyncSession) -> tuple[str, date] | None:
        member = await find_member(session, person)
        if member is None:
            return None
        valid = timedelta(days=settings.invite_valid_days)
        created = await create_invite(session, member, clock.now(), valid)
        await audit.record(
            session,
            "invite_created",
            actor_label="cli",
            unit_id=member.branch_id,
            object_type="member",
            object_id=member.id,
        )
        return created.code, created.expires_at.astimezone(settings.tz).date()

    result = run_in_transaction(settings, work)
    if result is None:
        fail(_("No member has the phone or party card number {person}.", person=person))
        return
    code, until = result
    click.echo(f"https://t.me/{username}?start={code}")
    click.echo(_("Valid until {date}; it works once.", date=until.strftime("%d/%m/%Y")))


def _bot_username(settings: Any) -> str:
    """Asks Telegram for the bot's username (getMe)."""
    import asyncio

    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError

    _ = load_settings()[1]
    if settings.bot_token is None:
        fail(_("Give --bot-username, or set BOT_TOKEN so I can ask Telegram."))

    async def ask() -> str:
        bot = Bot(settings.bot_token.get_secret_value(), base_url=settings.telegram_api_base_url)
        async with bot:
            return str(bot.username)

    try:
        return asyncio.run(ask())
    except InvalidToken:  # its text quotes the token
        fail(_(TOKEN_REFUSED))
    except TelegramError as error:  # the class only: its text may hold the request
        fail(
            _(
                "Could not ask Telegram for the bot's username ({error}). Check the network "
                "connection, or give it with --bot-username.",
                error=type(error).__name__,
            )
        )
