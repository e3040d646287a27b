"""Documents joined to a request (PDF, JPEG, PNG): checked by their content, stored under a random name.

The type comes from the file's first bytes and a real parse (pypdf for a PDF, Pillow's ``verify()`` for an
image), never from its name or the content type the browser declared: a renamed program is refused, a PNG called
``.pdf`` is kept as the PNG it is. Size, emptiness and the number of documents per request are checked before
anything is stored.

The new-request form uploads its files with ``attachments_add_many`` in the same transaction as
``referral_send`` (see that function), and may check each file beforehand with ``attachment_content_type``.
"""

import hashlib
import os
import unicodedata
from collections.abc import Iterable

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import AccessLog, User
from accounts.services import access_log_record
from core.errors import ApplicationError
from referrals import timeline
from referrals.models import Referral, ReferralAttachment
from referrals.rules import CLOSED_STATUSES, party_refusal
from referrals.scope import actor_for
from referrals.services.common import locked, record_event

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # 10 Mo: a scanned letter or an ECG, not a whole imaging study
MAX_ATTACHMENTS_PER_REFERRAL = 20

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
# What each accepted type is called on the page and in the letter, and the extension its download gets.
TYPE_LABELS = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG"}
EXTENSIONS = {PDF: (".pdf",), JPEG: (".jpg", ".jpeg"), PNG: (".png",)}

_MAGIC = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))

Purpose = ReferralAttachment.Purpose
# Who joins what: the sender their request and what was asked of them; the recipient's side its answer or
# its report.
SENDER_PURPOSES = (Purpose.REQUEST, Purpose.INFO)
RECIPIENT_PURPOSES = (Purpose.ANSWER, Purpose.REPORT)


def _refused_type() -> ApplicationError:
    return ApplicationError(
        _("Type de fichier refusé : seuls les documents PDF, JPEG et PNG sont acceptés."), field="file"
    )


def _sniffed_type(head: bytes) -> str | None:
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def _parse_pdf(uploaded_file) -> None:
    from pypdf import PdfReader  # loaded on first upload only, as WeasyPrint is for letters

    reader = PdfReader(uploaded_file)
    if reader.is_encrypted and not reader.decrypt(""):
        raise ApplicationError(
            _("Ce PDF est protégé par un mot de passe : joignez une version sans mot de passe."), field="file"
        )
    if len(reader.pages) == 0:
        raise ValueError("a PDF without pages")


def _parse_image(uploaded_file, content_type: str) -> None:
    from PIL import Image

    with Image.open(uploaded_file) as image:
        if image.format != {JPEG: "JPEG", PNG: "PNG"}[content_type]:
            raise ValueError(f"announced {content_type}, parsed as {image.format}")
        image.verify()  # a PNG's chunks and checksums
    # A whole image ends with its end marker. Checked here because decoding alone is not enough: WeasyPrint,
    # once imported, sets Pillow's process-wide LOAD_TRUNCATED_IMAGES, and Pillow then decodes a cut file.
    uploaded_file.seek(0)
    content = uploaded_file.read()
    if content_type == JPEG and not content.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise ValueError("a JPEG without its end marker")
    if content_type == PNG and b"IEND" not in content[-64:]:
        raise ValueError("a PNG without its IEND chunk")
    if content_type == JPEG:
        # Pillow's verify() does not read a JPEG's data: decode it at an eighth of its size instead (fast, little
        # memory), which fails on a corrupt file.
        uploaded_file.seek(0)
        with Image.open(uploaded_file) as image:
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()


def attachment_content_type(uploaded_file: UploadedFile) -> str:
    """The type of ``uploaded_file`` read from its content (``application/pdf``, ``image/jpeg`` or
    ``image/png``), or an ``ApplicationError`` on the ``file`` field saying what is wrong in French: empty, over
    ``MAX_ATTACHMENT_BYTES``, not one of these types, or damaged. Forms may call it to check a file early."""
    size = uploaded_file.size or 0
    if size == 0:
        raise ApplicationError(_("Le fichier est vide."), field="file")
    if size > MAX_ATTACHMENT_BYTES:
        raise ApplicationError(_("Le fichier dépasse 10 Mo."), field="file")
    uploaded_file.seek(0)
    content_type = _sniffed_type(uploaded_file.read(16))
    uploaded_file.seek(0)
    if content_type is None:
        raise _refused_type()
    try:
        if content_type == PDF:
            _parse_pdf(uploaded_file)
        else:
            _parse_image(uploaded_file, content_type)
    except ApplicationError:
        raise
    except Exception:  # any failure of the parsers means a document nobody could open
        raise ApplicationError(
            _("Le fichier « %(name)s » est endommagé ou n'est pas un vrai %(type)s.")
            % {"name": _display_name(uploaded_file.name), "type": TYPE_LABELS[content_type]},
            field="file",
        ) from None
    finally:
        uploaded_file.seek(0)
    return content_type


def _display_name(name: str | None) -> str:
    """The file's own name without any folder or control character, at most 255 characters (its extension
    kept)."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip()
    if len(name) > 255:
        stem, extension = os.path.splitext(name)
        extension = extension[:20]
        name = stem[: 255 - len(extension)] + extension
    return name or _("document")


def download_name(attachment: ReferralAttachment) -> str:
    """The name a download gets: the original one, with the extension of the type actually stored (a PNG
    called ``scan.pdf`` downloads as ``scan.pdf.png``, so no program opens it as a PDF)."""
    name = attachment.original_name or _("document")
    extensions = EXTENSIONS.get(attachment.content_type, ())
    if extensions and not name.lower().endswith(extensions):
        name = f"{name}{extensions[0]}"
    return name


def _refuse_unless_party(acting_user: User, referral: Referral) -> tuple[bool, bool]:
    """(is the sender, is on the recipient's side); whoever is neither gets the refusal that reads as 404."""
    actor = actor_for(acting_user)
    refusal = party_refusal(actor, referral)
    if refusal is not None:
        raise refusal
    return actor.is_sender(referral), actor.is_recipient_side(referral)


def purposes_for(*, is_sender: bool, is_recipient_side: bool) -> list[str]:
    """What a user may say a document is, depending on their side of the request."""
    return [*(SENDER_PURPOSES if is_sender else ()), *(RECIPIENT_PURPOSES if is_recipient_side else ())]


def _purpose(purpose: str, referral: Referral, *, is_sender: bool, is_recipient_side: bool) -> str:
    allowed = purposes_for(is_sender=is_sender, is_recipient_side=is_recipient_side)
    if not purpose:
        if is_sender:
            return Purpose.INFO if referral.status == Referral.Status.NEEDS_INFO else Purpose.REQUEST
        return Purpose.ANSWER
    if purpose not in allowed:
        raise ApplicationError(_("Nature de pièce jointe impossible pour vous sur cette demande."), field="purpose")
    return purpose


def _checked(uploaded_files: Iterable[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    files = [uploaded_file for uploaded_file in uploaded_files if uploaded_file is not None]
    if not files:
        raise ApplicationError(_("Choisissez un fichier."), field="file")
    return [(uploaded_file, attachment_content_type(uploaded_file)) for uploaded_file in files]


def _sha256(uploaded_file: UploadedFile) -> str:
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest()


def _store(
    referral: Referral, acting_user: User, uploaded_file: UploadedFile, content_type: str, purpose: str
) -> ReferralAttachment:
    label = acting_user.get_full_name() or acting_user.email
    attachment = ReferralAttachment(
        referral=referral,
        purpose=purpose,
        original_name=_display_name(uploaded_file.name),
        content_type=content_type,
        size=uploaded_file.size,
        sha256=_sha256(uploaded_file),
        uploaded_by=acting_user,
        uploaded_by_label=label,
    )
    # The storage name comes from ``models.attachment_path`` (random); the patient's file name stays in the row.
    attachment.file.save(attachment.original_name, uploaded_file, save=False)
    try:
        attachment.save()
        record_event(
            referral,
            actor=acting_user,
            action="attachment_added",
            from_status=referral.status,
            **timeline.attachment_added_note(name=attachment.original_name, content_type=content_type),
        )
        access_log_record(
            user=acting_user,
            action=AccessLog.Action.CREATE,
            subject_type="referral_attachment",
            subject_id=attachment.public_id,
            patient_ref=referral.public_id,
            via="referrals.services.attachments",
        )
    except BaseException:
        attachment.file.delete(save=False)  # no row, no file
        raise
    return attachment


@transaction.atomic
def attachments_add_many(
    *, acting_user: User, referral: Referral, uploaded_files: Iterable[UploadedFile], purpose: str = ""
) -> list[ReferralAttachment]:
    """Joins several documents at once, all or none: every file is checked (type, size, count) before the
    first is stored.

    For the new-request form: call it right after ``referral_send`` inside one ``transaction.atomic()``, so
    that a refused file leaves neither the request nor any document and the form is shown again with the
    message on its ``file`` field (``ApplicationError.field``)::

        with transaction.atomic():
            referral = referral_send(acting_user=user, ...)
            attachments_add_many(acting_user=user, referral=referral, uploaded_files=request.FILES.getlist("files"))

    ``purpose`` empty: "request" for the sender ("info" while the request waits for information), "answer" for
    the recipient's side. Files stored before a later rollback of the caller's transaction stay on disk
    without a row (no file names a patient; the storage holds random names only).
    """
    is_sender, is_recipient_side = _refuse_unless_party(acting_user, referral)
    checked = _checked(uploaded_files)
    referral = locked(referral)
    if referral.status in CLOSED_STATUSES:
        raise ApplicationError(
            _("Cette demande est « %(status)s » : on n'y joint plus de document.")
            % {"status": referral.get_status_display()},
            code="invalid_transition",
        )
    purpose = _purpose(purpose, referral, is_sender=is_sender, is_recipient_side=is_recipient_side)
    if referral.attachments.count() + len(checked) > MAX_ATTACHMENTS_PER_REFERRAL:
        raise ApplicationError(
            _("Une demande compte au plus %(count)d pièces jointes.") % {"count": MAX_ATTACHMENTS_PER_REFERRAL},
            field="file",
        )
    stored: list[ReferralAttachment] = []
    try:
        for uploaded_file, content_type in checked:
            stored.append(_store(referral, acting_user, uploaded_file, content_type, purpose))
    except BaseException:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return stored


def attachment_add(
    *, acting_user: User, referral: Referral, uploaded_file: UploadedFile, purpose: str = ""
) -> ReferralAttachment:
    """The sender or the recipient's side joins one document to a request that is not closed or cancelled
    (anyone else: ``code="not_found"``, a 404). See ``attachments_add_many`` for the checks."""
    return attachments_add_many(
        acting_user=acting_user, referral=referral, uploaded_files=[uploaded_file], purpose=purpose
    )[0]
