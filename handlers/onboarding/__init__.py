"""Onboarding: the greeting, the privacy notice and consent, linking by contact or invite link,
and the choice of language (offered under the privacy notice, and by /language)."""
