"""Delivery: the outbox sender, its HTTP transport, Telegram's limits and the reports."""
