"""`chibo --help` in the default language (Vietnamese; DEFAULT_LOCALE=en for English).

Every command's and option's help is a catalog text (`help=N_("...")`); Click's own words
(Usage, Options, Commands, the help option) are catalog texts here. The help is translated
when it is shown: the context of every command makes a formatter that translates the
command being shown first. (Click's error messages stay in English.)
"""

from __future__ import annotations

from typing import Any

import click
from pydantic import ValidationError

from bot.i18n import DEFAULT_LANGUAGE, N_, Translator, translator
from bot.settings import Settings

# Click's words in a help page, as Click writes them (the catalog translates them).
CLICK_WORDS = {
    "Usage:": N_("Usage:"),
    "Options": N_("Options"),
    "Commands": N_("Commands"),
    "Arguments": N_("Arguments"),
}
HELP_OPTION = N_("Show this message and exit.")


def cli_translator() -> Translator:
    """The default language of the settings; Vietnamese when they cannot be read."""
    try:
        settings = Settings()
    except ValidationError:
        return translator(DEFAULT_LANGUAGE)
    return translator(settings.default_locale, settings.tz)


class TranslatedFormatter(click.HelpFormatter):
    def __init__(self, _: Translator, **options: Any) -> None:
        super().__init__(**options)
        self._ = _

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            prefix = self._(CLICK_WORDS["Usage:"]) + " "
        super().write_usage(prog, args, prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(self._(CLICK_WORDS.get(heading, heading)))


class TranslatedContext(click.Context):
    def make_formatter(self) -> click.HelpFormatter:
        _ = cli_translator()
        translate(self.command, self, _)
        return TranslatedFormatter(_, width=self.terminal_width, max_width=self.max_content_width)


def translate(command: click.Command, ctx: click.Context, _: Translator) -> None:
    """The command's help, its options' and (for a group) its commands' help, in the
    reader's language."""
    _translate(command, "help", _)
    _translate(command, "short_help", _)
    for param in command.get_params(ctx):
        if isinstance(param, click.Option):
            _translate(param, "help", _)
    help_option = command.get_help_option(ctx)
    if help_option is not None:
        help_option.help = _(HELP_OPTION)
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                _translate(sub, "help", _)


def _translate(owner: object, attribute: str, _: Translator) -> None:
    """Sets `owner.attribute` to its catalog text's translation; the catalog text (msgid) is
    kept beside it, so a second translation (another language) starts from it again."""
    kept = f"_msgid_{attribute}"
    msgid = getattr(owner, kept, None) or getattr(owner, attribute, None)
    if msgid:
        setattr(owner, kept, msgid)
        setattr(owner, attribute, _(msgid))


def use_translated_help(command: click.Command) -> None:
    """Every command (and those under it) shows its help through `TranslatedContext`."""
    command.context_class = TranslatedContext
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            use_translated_help(sub)
