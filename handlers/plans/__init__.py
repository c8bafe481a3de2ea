"""Yearly plans: each member writes the plan of the year and its commitment, the committee
reviews it (accept, or return with a comment), the member assesses themself at year end and
the committee records the final grade; reminders chase the plans not handed in.

The feature is declared in `handlers.plans.feature`; its use cases are in
`handlers.plans.actions` (no Telegram there), its handlers in the other modules.
"""
