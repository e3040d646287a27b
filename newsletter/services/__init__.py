"""Every change to the newsletter's data goes through these modules.

- ``subscriptions``: subscribing (double opt-in), confirming, unsubscribing in one click, the professionals'
  accounts, the import from another tool, a subscriber's export and erasure, the ``List-Unsubscribe`` headers.
- ``issues``: opening an issue auto-filled from the directory's events and the apps' figures, its items;
  ``images``: images checked and resized once.
"""
