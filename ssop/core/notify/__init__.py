"""Notifications: events ssop tells people about, and webhooks that carry them."""
