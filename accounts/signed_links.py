"""Signed, expiring links for patients who have no account (waiting list, SNP bookings).

A link carries the subject's public id and a version number signed with a salt per purpose: a link made
for one purpose is refused for another, and the owner of the subject revokes every link sent so far by
bumping the version it stores. Nothing is stored per link.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from core.errors import ApplicationError


def _salt(purpose: str) -> str:
    return f"cpts.patient-link.{purpose}"


def patient_link_token(*, purpose: str, subject_id: str, version: int = 0) -> str:
    return signing.dumps({"s": str(subject_id), "v": version}, salt=_salt(purpose), compress=True)


def patient_link_url(*, purpose: str, subject_id: str, path: str, version: int = 0) -> str:
    """An absolute URL for e-mails and SMS: ``path`` must end where the token goes (``/liste/suivi/``)."""
    token = patient_link_token(purpose=purpose, subject_id=subject_id, version=version)
    return f"{settings.SITE_URL}{path}{token}/"


def patient_link_read(*, purpose: str, token: str, max_age: timedelta, current_version: int | None = None) -> str:
    """The subject id carried by a valid link, or an ApplicationError saying in French what is wrong."""
    try:
        payload = signing.loads(token, salt=_salt(purpose), max_age=max_age)
    except signing.SignatureExpired:
        raise ApplicationError(
            _("Ce lien a expiré. Demandez-en un nouveau : il vous sera envoyé aussitôt."), code="link_expired"
        ) from None
    except signing.BadSignature:
        raise ApplicationError(
            _("Ce lien n'est pas valide. Vérifiez qu'il a été copié en entier."), code="link_invalid"
        ) from None
    if current_version is not None and payload.get("v") != current_version:
        raise ApplicationError(
            _("Ce lien a été remplacé par un plus récent : utilisez le dernier message reçu."),
            code="link_revoked",
        )
    return payload["s"]
