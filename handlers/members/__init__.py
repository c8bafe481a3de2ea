"""The 👥 Branch members entry and everything reached from it: the branch's list (links to
Telegram, resets, invites), each member's party standing (exemptions), admissions and the
probation's outcome, and transfers of party activity."""
