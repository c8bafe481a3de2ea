"""Surveys: a secretary creates a survey (in chat or from a file), members answer it one
question at a time, and the committee follows who answered, reminds the others and reads the
results.

The feature is declared in `handlers.surveys.feature`; its use cases are in
`handlers.surveys.actions` (no Telegram there), the wizard's typed draft in `draft`, what
members receive in `messages`, its handlers in `create`, `answer`, `menu` and `results`.
"""
