"""Residence ties (Quy định 213): a working member registers where they live, the residence
branch's leaders confirm it and comment on the member once a year, the workplace committee
follows it up.

The feature is declared in `handlers.residence.feature`. Its handlers: `member` (the menu
entry, the history, activities), `register` and `save` (the form), `host` (the residence
branch's leaders), `comment` (the yearly comment), `committee` (the workplace committee's
overview, reminders), `exempt` (exemptions) and `window` (the yearly comment window, a job).
"""
