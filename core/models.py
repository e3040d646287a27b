import uuid

from django.db import models


class TimestampedModel(models.Model):
    """Creation and update times, and a random public id for URLs and the API (never a sequential id)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
