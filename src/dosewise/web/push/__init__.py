"""Reminders and alerts: the settings page, push subscriptions, notification buttons, the service worker."""
