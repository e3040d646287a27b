"""The directory's REST API (``/api/v1/``): the signed-in user (``me``), practitioners (search, detail, their
channels and absences), practices and the digital tools catalogue.

Anyone may read, as on the pages: an anonymous caller is the public (public channels only, no absences); a
signed-in caller sees what their audience sees (``selectors.audience_of``). Writes need an account and the
same predicates as the pages (the services check them); a refusal is a 403, what does not exist a 404, bad
input a 400 ``{detail, code, field}`` in French.
"""

from allauth.mfa.utils import is_mfa_enabled
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from accounts.permissions import IsAuthenticatedWithRequiredMfa
from core.api import ErrorSerializer, validated_input
from core.errors import ApplicationError
from directory import selectors, services
from directory.languages import ISO_639_1_CODES
from directory.permissions import can_edit_practitioner
from directory.selectors import api as api_selectors
from directory.selectors.entries import merged_into
from directory.serializers import (
    AbsenceInputSerializer,
    AbsenceSerializer,
    ContactChannelInputSerializer,
    ContactChannelSerializer,
    ContactChannelUpdateSerializer,
    DigitalToolSerializer,
    MeSerializer,
    PracticeQuerySerializer,
    PracticeSerializer,
    PractitionerDetailSerializer,
    PractitionerPageSerializer,
    PractitionerSearchQuerySerializer,
    PractitionerUpdateSerializer,
)
from directory.services import entries


class MeView(APIView):
    """The signed-in user, their role grants and, for a professional, their directory entry."""

    @extend_schema(responses=MeSerializer, summary="Mon compte, mes rôles et ma fiche")
    def get(self, request):
        user = request.user
        practitioner = selectors.practitioner_of(user)
        me = {
            "id": user.public_id,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "roles": selectors.role_grants_of(user),
            "practitioner": practitioner.public_id if practitioner else None,
            "mfa_enabled": is_mfa_enabled(user),
        }
        return Response(MeSerializer(me).data)


# --- Plumbing ---------------------------------------------------------------------------------------------------

MovedSerializer = inline_serializer(
    name="MergedEntry",
    fields={"detail": serializers.CharField(), "id": serializers.UUIDField(help_text="La fiche conservée.")},
)
_READ_ERRORS = {400: ErrorSerializer, 404: ErrorSerializer}
_WRITE_ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class ReadsOpenWritesSignedIn(BasePermission):
    """Anyone reads the directory; writing needs an account (with MFA where its roles require it)."""

    message = IsAuthenticatedWithRequiredMfa.message

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or IsAuthenticatedWithRequiredMfa().has_permission(request, view)


def _merged_or_missing(request, public_id) -> Response:
    """A duplicate's old id points at the entry kept (301 for reads, 308 for writes: same method, same body)."""
    kept = merged_into(public_id)
    if kept is None:
        raise NotFound(_("Cette fiche de l'annuaire n'existe pas."))
    location = request.get_full_path().replace(str(public_id), str(kept.public_id), 1)
    moved = status.HTTP_301_MOVED_PERMANENTLY if request.method in SAFE_METHODS else 308
    body = {"detail": _("Cette fiche a été fusionnée avec une autre : voici la fiche conservée."), "id": kept.public_id}
    return Response(body, status=moved, headers={"Location": location})


def _page_links(request, *, page: int, page_size: int, total: int) -> tuple[str | None, str | None]:
    url = request.build_absolute_uri()
    next_url = replace_query_param(url, "page", page + 1) if page * page_size < total else None
    if page <= 1:
        previous_url = None
    elif page == 2:
        previous_url = remove_query_param(url, "page")
    else:
        previous_url = replace_query_param(url, "page", page - 1)
    return next_url, previous_url


def _refuse_missing_page(*, page: int, page_size: int, total: int) -> None:
    if page > 1 and (page - 1) * page_size >= total:
        raise NotFound(_("Cette page de résultats n'existe pas : il y a %(total)s résultats.") % {"total": total})


def _commune(commune) -> dict | None:
    if commune is None:
        return None
    return {"insee_code": commune.insee_code, "name": commune.name, "department": commune.department}


# --- Practitioners ---------------------------------------------------------------------------------------------


class PractitionerListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="v1_practitioners_list",
        summary="Rechercher des professionnels",
        description=(
            "Mêmes critères que la page de recherche de l'annuaire. Avec `commune`, les professionnels exerçant "
            "dans le rayon, du plus proche au plus loin ; sinon par nom. Chaque résultat porte le moyen de "
            "contact que votre public doit utiliser en premier. "
            "Avec `specialty` (code « SM04 » ou texte « cardio »), `q` cherche un nom parmi cette spécialité."
        ),
        parameters=[PractitionerSearchQuerySerializer],
        responses={200: PractitionerPageSerializer, **_READ_ERRORS},
    )
    def get(self, request):
        criteria = validated_input(PractitionerSearchQuerySerializer, request.query_params)
        q = criteria.get("q", "").strip()
        specialty = criteria.get("specialty", "").strip()
        language = criteria.get("language", "")
        if language and language not in ISO_639_1_CODES:
            raise ApplicationError(_("Code de langue inconnu : « %(code)s ».") % {"code": language}, field="language")
        tool = criteria.get("tool", "")
        if tool and not api_selectors.digital_tool_exists(tool):
            raise ApplicationError(_("Outil inconnu du catalogue : « %(tool)s ».") % {"tool": tool}, field="tool")
        page, page_size = criteria["page"], criteria["page_size"]
        commune = criteria.get("commune", "")
        results = selectors.practitioners_search(
            viewer=request.user,
            q=q,
            specialty=specialty,
            place=commune,
            radius_km=criteria["radius_km"],
            language=language,
            tool=tool,
            accepting_new_patients=criteria["accepting_new_patients"],
            teleexpertise=criteria["teleexpertise"],
            available_this_week=criteria["available_this_week"],
            limit=page_size,
            offset=(page - 1) * page_size,
        )
        if results.unknown_place:
            raise ApplicationError(
                _("Aucune commune ne correspond à « %(place)s ».") % {"place": commune}, field="commune"
            )
        _refuse_missing_page(page=page, page_size=page_size, total=results.shown_total)
        next_url, previous_url = _page_links(request, page=page, page_size=page_size, total=results.shown_total)
        payload = {
            "count": results.shown_total,
            "count_is_capped": results.total_is_capped,
            "next": next_url,
            "previous": previous_url,
            "commune": _commune(results.commune),
            "radius_km": results.radius_km,
            "results": results.practitioners,
        }
        return Response(PractitionerPageSerializer(payload).data)


def _detail(practitioner, audience: str) -> dict:
    """Everything the detail shows, for one audience: the caller's channels and, unless public, absences."""
    practitioner.audience = audience
    practitioner.sites = [activity.practice for activity in practitioner.activities.all()]
    practitioner.channels = selectors.channels_for_audience(practitioner, audience)
    practitioner.tools_used = list(practitioner.tools.all())
    practitioner.visible_absences = api_selectors.absences_for_audience(practitioner, audience)
    return PractitionerDetailSerializer(practitioner).data


class PractitionerDetailView(APIView):
    permission_classes = [ReadsOpenWritesSignedIn]

    @extend_schema(
        operation_id="v1_practitioners_retrieve",
        summary="Fiche d'un professionnel",
        description=(
            "Identité, exercice, cabinets, moyens de contact selon votre public, outils, absences en cours et à "
            "venir (sauf pour le public). L'identifiant d'un doublon fusionné répond 301 vers la fiche conservée."
        ),
        responses={200: PractitionerDetailSerializer, 301: MovedSerializer, 404: ErrorSerializer},
    )
    def get(self, request, public_id):
        practitioner = api_selectors.practitioner_for_api(public_id)
        if practitioner is None:
            return _merged_or_missing(request, public_id)
        return Response(_detail(practitioner, selectors.audience_of(request.user)))

    @extend_schema(
        operation_id="v1_practitioners_partial_update",
        summary="Modifier une fiche",
        description=(
            "Seuls les champs envoyés changent. Le professionnel, un secrétariat de son cabinet et la coordination "
            "modifient l'exercice ; seule la coordination modifie l'identité (noms, RPPS, ADELI, civilité)."
        ),
        request=PractitionerUpdateSerializer,
        responses={200: PractitionerDetailSerializer, 308: MovedSerializer, **_WRITE_ERRORS},
    )
    def patch(self, request, public_id):
        practitioner, refused = _editable_practitioner(request, public_id)
        if refused is not None:
            return refused
        fields = validated_input(PractitionerUpdateSerializer, request.data)
        try:
            entries.practitioner_update(acting_user=request.user, practitioner=practitioner, **fields)
        except ApplicationError:
            raise  # the exception handler answers: 404 (may not see), 403 (may not change), 400 otherwise
        return Response(_detail(api_selectors.practitioner_for_api(public_id), selectors.audience_of(request.user)))


def _editable_practitioner(request, public_id):
    """The entry a write acts on and None, or None and the answer: 404 when it does not exist (a merged
    duplicate's id is redirected, 308), 403 when the caller may not edit it (the services' French message)."""
    practitioner = api_selectors.practitioner_by_public_id(public_id)
    if practitioner is None:
        return None, _merged_or_missing(request, public_id)
    if not can_edit_practitioner(request.user, practitioner):
        raise ApplicationError(services.NOT_YOURS, code="forbidden")
    return practitioner, None


class _PractitionerWriteView(APIView):
    """Writes on one entry (see ``_editable_practitioner``)."""

    permission_classes = [ReadsOpenWritesSignedIn]


class PractitionerChannelsView(_PractitionerWriteView):
    @extend_schema(
        summary="Ajouter un moyen de contact",
        description=(
            "Pour un public (public, professionnels, régulation, pharmacies et laboratoires), d'un type (téléphone, "
            "ligne réservée, secrétariat, MSSanté, e-mail, fax, rendez-vous en ligne, site web). Les numéros sont "
            "normalisés. Un moyen « preferred » remplace le précédent pour ce public."
        ),
        request=ContactChannelInputSerializer,
        responses={201: ContactChannelSerializer, 308: MovedSerializer, **_WRITE_ERRORS},
    )
    def post(self, request, public_id):
        practitioner, refused = _editable_practitioner(request, public_id)
        if refused is not None:
            return refused
        fields = dict(validated_input(ContactChannelInputSerializer, request.data))
        practice_id = fields.pop("practice")
        practice = None
        if practice_id is not None:
            practice = api_selectors.practice_by_public_id(practice_id)
            if practice is None:
                raise ApplicationError(_("Ce cabinet n'existe pas."), field="practice")
        try:
            channel = services.contact_channel_create(
                acting_user=request.user, practitioner=practitioner, practice=practice, **fields
            )
        except ApplicationError:
            raise  # the exception handler answers: 404 (may not see), 403 (may not change), 400 otherwise
        return Response(ContactChannelSerializer(channel).data, status=status.HTTP_201_CREATED)


class PractitionerChannelView(_PractitionerWriteView):
    def channel_or_response(self, request, public_id, channel_id):
        practitioner, refused = _editable_practitioner(request, public_id)
        if refused is not None:
            return None, refused
        channel = api_selectors.practitioner_channel(practitioner, channel_id)
        if channel is None:
            raise NotFound(_("Ce moyen de contact n'existe pas sur cette fiche."))
        return channel, None

    @extend_schema(
        summary="Modifier un moyen de contact",
        description="Seuls les champs envoyés changent ; la valeur est vérifiée à nouveau pour son type.",
        request=ContactChannelUpdateSerializer,
        responses={200: ContactChannelSerializer, 308: MovedSerializer, **_WRITE_ERRORS},
    )
    def patch(self, request, public_id, channel_id):
        channel, refused = self.channel_or_response(request, public_id, channel_id)
        if refused is not None:
            return refused
        fields = validated_input(ContactChannelUpdateSerializer, request.data)
        try:
            channel = services.contact_channel_update(acting_user=request.user, channel=channel, **fields)
        except ApplicationError:
            raise  # the exception handler answers: 404 (may not see), 403 (may not change), 400 otherwise
        return Response(ContactChannelSerializer(channel).data)

    @extend_schema(
        summary="Supprimer un moyen de contact",
        responses={204: None, 308: MovedSerializer, **_WRITE_ERRORS},
    )
    def delete(self, request, public_id, channel_id):
        channel, refused = self.channel_or_response(request, public_id, channel_id)
        if refused is not None:
            return refused
        try:
            services.contact_channel_delete(acting_user=request.user, channel=channel)
        except ApplicationError:
            raise  # the exception handler answers: 404 (may not see), 403 (may not change), 400 otherwise
        return Response(status=status.HTTP_204_NO_CONTENT)


class PractitionerAbsencesView(_PractitionerWriteView):
    @extend_schema(
        summary="Déclarer une absence",
        description="Du premier au dernier jour inclus, avec le remplaçant s'il est connu (sa fiche).",
        request=AbsenceInputSerializer,
        responses={201: AbsenceSerializer, 308: MovedSerializer, **_WRITE_ERRORS},
    )
    def post(self, request, public_id):
        practitioner, refused = _editable_practitioner(request, public_id)
        if refused is not None:
            return refused
        fields = dict(validated_input(AbsenceInputSerializer, request.data))
        replacement_id = fields.pop("replacement")
        replacement = None
        if replacement_id is not None:
            replacement = api_selectors.practitioner_by_public_id(replacement_id)
            if replacement is None:
                raise ApplicationError(_("La fiche du remplaçant n'existe pas."), field="replacement")
        try:
            absence = services.absence_declare(
                acting_user=request.user, practitioner=practitioner, replacement=replacement, **fields
            )
        except ApplicationError:
            raise  # the exception handler answers: 404 (may not see), 403 (may not change), 400 otherwise
        return Response(AbsenceSerializer(absence).data, status=status.HTTP_201_CREATED)


# --- Practices and tools ----------------------------------------------------------------------------------------


PracticePageSerializer = inline_serializer(
    name="PracticePage",
    fields={
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": PracticeSerializer(many=True),
    },
)


def _with_channels(practices: list, audience: str) -> list:
    """Sets on each practice the shared channels ``audience`` sees (one query for all)."""
    owned = api_selectors.channels_of_owners(practice_ids=[practice.pk for practice in practices], audience=audience)
    for practice in practices:
        practice.channels = owned.of_practice.get(practice.pk, [])
    return practices


class PracticeListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="v1_practices_list",
        summary="Cabinets et sites",
        description="Par nom et par commune (code INSEE, code postal ou nom), avec leurs professionnels.",
        parameters=[PracticeQuerySerializer],
        responses={200: PracticePageSerializer, **_READ_ERRORS},
    )
    def get(self, request):
        criteria = validated_input(PracticeQuerySerializer, request.query_params)
        page, page_size = criteria["page"], criteria["page_size"]
        practices, understood = api_selectors.practices_for_api(
            q=criteria.get("q", ""), commune=criteria.get("commune", "")
        )
        if not understood:
            raise ApplicationError(
                _("Aucune commune ne correspond à « %(place)s ».") % {"place": criteria["commune"]}, field="commune"
            )
        total = practices.count()
        _refuse_missing_page(page=page, page_size=page_size, total=total)
        found = list(practices[(page - 1) * page_size : page * page_size])
        next_url, previous_url = _page_links(request, page=page, page_size=page_size, total=total)
        payload = {
            "count": total,
            "next": next_url,
            "previous": previous_url,
            "results": PracticeSerializer(_with_channels(found, selectors.audience_of(request.user)), many=True).data,
        }
        return Response(payload)


class PracticeDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="v1_practices_retrieve",
        summary="Un cabinet ou site",
        responses={200: PracticeSerializer, 404: ErrorSerializer},
    )
    def get(self, request, public_id):
        practice = api_selectors.practice_for_api(public_id)
        if practice is None:
            raise NotFound(_("Ce cabinet n'existe pas."))
        _with_channels([practice], selectors.audience_of(request.user))
        return Response(PracticeSerializer(practice).data)


class DigitalToolListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="v1_tools_list",
        summary="Catalogue des outils numériques",
        responses={200: DigitalToolSerializer(many=True)},
    )
    def get(self, request):
        return Response(DigitalToolSerializer(api_selectors.digital_tools(), many=True).data)
