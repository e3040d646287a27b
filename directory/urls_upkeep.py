"""Keeping the directory true: claims, confirmations, change feed, error reports, merges."""

urlpatterns = []
