"""Images for the letter: checked to be one with Pillow, resized once to ``MAX_WIDTH``, stored as a
``StoredImage`` that the web page, the e-mail and the PDF all use."""

import io

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from core.errors import ApplicationError
from directory.permissions import coordinated_territory_ids
from newsletter.models import StoredImage

MAX_WIDTH = 1200
MAX_BYTES = 10 * 1024 * 1024
FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "png", "WEBP": "png"}


@transaction.atomic
def image_store(*, acting_user, upload, alt_text: str) -> StoredImage:
    if not coordinated_territory_ids(acting_user):
        raise ApplicationError(_("Seul un coordinateur de la CPTS ajoute des images."), code="forbidden")
    if not alt_text.strip():
        raise ApplicationError(_("Décrivez l'image en quelques mots (texte alternatif)."), field="alt_text")
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ApplicationError(_("Image trop lourde : 10 Mo au plus."), field="file")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()  # the whole file, not only its header
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ApplicationError(
            _("Ce fichier n'est pas une image lisible : envoyez un JPEG, un PNG, un GIF ou un WebP."), field="file"
        ) from None
    if image.format not in FORMATS:
        raise ApplicationError(_("Format d'image non pris en charge : JPEG, PNG, GIF ou WebP."), field="file")
    extension = FORMATS[image.format]
    if image.width > MAX_WIDTH:
        image = image.resize((MAX_WIDTH, max(1, round(image.height * MAX_WIDTH / image.width))), Image.LANCZOS)
    if extension == "jpg":
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    image.save(out, format="JPEG" if extension == "jpg" else "PNG", quality=85, optimize=True)
    stored = StoredImage(width=image.width, height=image.height, alt_text=alt_text.strip()[:300])
    stored.file.save(f"image.{extension}", ContentFile(out.getvalue()), save=False)
    stored.save()
    return stored
