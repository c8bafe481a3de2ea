"""Meetings: a secretary calls a meeting, members answer the invitation, reminders go out
before it, and attendance is recorded after it.

The feature is declared in `handlers.meetings.feature`; its use cases are in
`handlers.meetings.actions` (no Telegram there), its handlers in `compose`, `manage`,
`answer` and `attendance`.
"""
