"""Reads of the waiting list, scoped to the user through ``waitlist.scope``: one module per part."""
