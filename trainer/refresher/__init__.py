"""Refresher before expiry: reminders 90 and 30 days ahead, the short refresher, the renewal."""
