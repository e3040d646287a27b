"""Reads of the waiting list, scoped to the user and logged when they show an entry: one module per part."""
