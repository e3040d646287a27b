"""Practitioner pages and their editing."""

urlpatterns = []
