"""Notices: a secretary sends information to the members and sees who has received it.

The feature is declared in `handlers.notices.feature`; its use cases are in
`handlers.notices.actions` (no Telegram there), its handlers in `compose` and `status`.
"""
