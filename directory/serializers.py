"""What the directory's API reads and writes: output shapes (read-only) and input parsing. No logic: the views
call selectors and services."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.roles import Role
from directory.models import (
    AccessibilityTag,
    Audience,
    ContactChannel,
    DigitalTool,
    PracticeTag,
    RoleGrant,
    ToolUse,
)
from directory.selectors import MAX_RADIUS_KM, MIN_RADIUS_KM


class RoleGrantSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices)
    role_label = serializers.CharField(source="get_role_display")
    territory = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    practitioner = serializers.UUIDField(source="practitioner.public_id", read_only=True, allow_null=True)
    practices = serializers.SlugRelatedField(slug_field="public_id", many=True, read_only=True)

    class Meta:
        model = RoleGrant
        fields = ["role", "role_label", "territory", "practitioner", "practices"]


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Identifiant public du compte.")
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    roles = RoleGrantSerializer(many=True)
    practitioner = serializers.UUIDField(
        allow_null=True, help_text="Identifiant public de la fiche de l'annuaire, pour un professionnel."
    )
    mfa_enabled = serializers.BooleanField()


# --- Reading the directory ------------------------------------------------------------------------------------


class CodeLabelSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class ProfessionSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Code de la profession (nomenclature RPPS, TRE_G15).")
    label = serializers.CharField()


class SpecialtySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Code du savoir-faire (nomenclature RPPS, TRE_R38 : SM04…).")
    label = serializers.CharField()


class CommuneSerializer(serializers.Serializer):
    insee_code = serializers.CharField()
    name = serializers.CharField()
    department = serializers.CharField()


class PositionSerializer(serializers.Serializer):
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    precision = serializers.ChoiceField(
        choices=[("address", "address"), ("commune", "commune")],
        help_text="« address » : position du cabinet ; « commune » : mairie de sa commune, faute de mieux.",
    )


def _position(practice) -> dict | None:
    if practice.latitude is not None and practice.longitude is not None:
        return {"latitude": practice.latitude, "longitude": practice.longitude, "precision": "address"}
    commune = practice.commune
    if commune is not None and commune.latitude is not None and commune.longitude is not None:
        return {"latitude": commune.latitude, "longitude": commune.longitude, "precision": "commune"}
    return None


def _labelled(values, choices) -> list[dict]:
    labels = dict(choices)
    return [{"code": value, "label": str(labels.get(value, value))} for value in values]


class ContactChannelSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    audience = serializers.ChoiceField(choices=Audience.choices, help_text="Public à qui ce moyen est destiné.")
    kind = serializers.ChoiceField(choices=ContactChannel.Kind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    value = serializers.CharField(help_text="Valeur normalisée (téléphone au format E.164).")
    display_value = serializers.CharField(help_text="Valeur telle qu'affichée (« 02 51 00 00 00 »).")
    hours = serializers.CharField()
    note = serializers.CharField()
    preferred = serializers.BooleanField(help_text="À utiliser en premier par ce public.")
    practice = serializers.SerializerMethodField(help_text="Cabinet auquel ce moyen est rattaché, s'il y en a un.")

    @extend_schema_field(OpenApiTypes.UUID)
    def get_practice(self, channel) -> str | None:
        # ``practice_id`` alone says whether to look: a channel of no practice costs no query.
        return str(channel.practice.public_id) if channel.practice_id else None


class FirstChannelSerializer(serializers.Serializer):
    """The channel the caller's audience should use first (in a list: no practice, to keep one query)."""

    audience = serializers.ChoiceField(choices=Audience.choices)
    kind = serializers.ChoiceField(choices=ContactChannel.Kind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    value = serializers.CharField()
    display_value = serializers.CharField()
    hours = serializers.CharField()
    note = serializers.CharField()
    preferred = serializers.BooleanField()


class PracticeSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    address = serializers.CharField()
    postal_code = serializers.CharField()
    city = serializers.SerializerMethodField()
    commune = CommuneSerializer(allow_null=True)
    position = serializers.SerializerMethodField()

    def get_city(self, practice) -> str:
        return practice.city or (practice.commune.name if practice.commune else "")

    @extend_schema_field(PositionSerializer(allow_null=True))
    def get_position(self, practice):
        return _position(practice)


class SiteSerializer(PracticeSummarySerializer):
    """A practice where the practitioner works, with its hours and accessibility."""

    opening_hours = serializers.CharField()
    secretariat_hours = serializers.CharField()
    accessibility = serializers.SerializerMethodField()
    is_msp = serializers.BooleanField()

    @extend_schema_field(CodeLabelSerializer(many=True))
    def get_accessibility(self, practice):
        return _labelled(practice.accessibility, AccessibilityTag.choices)


class DigitalToolSerializer(serializers.ModelSerializer):
    category = serializers.ChoiceField(choices=DigitalTool.Category.choices)
    category_label = serializers.CharField(source="get_category_display")

    class Meta:
        model = DigitalTool
        fields = ["slug", "name", "category", "category_label"]


class ToolUsedSerializer(serializers.Serializer):
    tool = DigitalToolSerializer()
    uses = serializers.SerializerMethodField(help_text="Pour quoi : adressages, télé-expertise, rendez-vous…")
    handle_or_link = serializers.CharField()

    @extend_schema_field(CodeLabelSerializer(many=True))
    def get_uses(self, practitioner_tool):
        return _labelled(practitioner_tool.uses, ToolUse.choices)


class PractitionerRefSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class AbsenceSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(help_text="Dernier jour d'absence (inclus).")
    replacement = PractitionerRefSerializer(allow_null=True, help_text="Qui remplace, s'il est connu.")
    note = serializers.CharField()


class _PractitionerBaseSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    rpps = serializers.CharField(allow_null=True)
    adeli = serializers.CharField(allow_null=True)
    civility = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    profession = ProfessionSerializer(allow_null=True)
    specialties = SpecialtySerializer(many=True)
    languages = serializers.ListField(child=serializers.CharField(), help_text="Codes ISO 639-1.")
    accepting_new_patients = serializers.BooleanField(
        allow_null=True, help_text="Accepte de nouveaux patients comme médecin traitant (null : inconnu)."
    )
    answers_teleexpertise = serializers.BooleanField()
    is_stale = serializers.BooleanField(help_text="Fiche non confirmée depuis plus d'un an.")
    last_confirmed_at = serializers.DateTimeField(allow_null=True)


class PractitionerSummarySerializer(_PractitionerBaseSerializer):
    """A search result: the nearest practice and the channel the caller's audience should use first."""

    distance_km = serializers.FloatField(allow_null=True, help_text="Distance au cabinet le plus proche.")
    nearest_practice = PracticeSummarySerializer(allow_null=True)
    first_channel = FirstChannelSerializer(allow_null=True)


class PractitionerDetailSerializer(_PractitionerBaseSerializer):
    practice_tags = serializers.SerializerMethodField()
    practice_notes = serializers.CharField()
    cpts_member_since = serializers.DateField(allow_null=True)
    audience = serializers.ChoiceField(
        choices=Audience.choices, help_text="Le public dont vous voyez les moyens de contact."
    )
    sites = SiteSerializer(many=True)
    channels = ContactChannelSerializer(many=True, help_text="Moyens de contact, le premier à utiliser en tête.")
    # The views set ``tools_used`` and ``visible_absences`` (the related managers are ``tools`` and ``absences``).
    tools = ToolUsedSerializer(many=True, source="tools_used")
    absences = AbsenceSerializer(
        many=True,
        source="visible_absences",
        help_text="Absences en cours et à venir : professionnels, régulation, pharmacies et laboratoires ; "
        "jamais pour le public.",
    )

    @extend_schema_field(CodeLabelSerializer(many=True))
    def get_practice_tags(self, practitioner):
        return _labelled(practitioner.practice_tags, PracticeTag.choices)


class PractitionerPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Nombre total de résultats, plafonné à 1 000 (voir `count_is_capped`).")
    count_is_capped = serializers.BooleanField(
        help_text="Vrai quand il y a plus de 1 000 résultats : seuls les 1 000 premiers sont paginés ; précisez la "
        "recherche."
    )
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    commune = CommuneSerializer(allow_null=True, help_text="La commune comprise pour `commune`, centre du rayon.")
    radius_km = serializers.FloatField()
    results = PractitionerSummarySerializer(many=True)


class PracticeSerializer(SiteSerializer):
    finess = serializers.CharField()
    siret = serializers.CharField()
    practitioners = PractitionerRefSerializer(many=True)
    channels = ContactChannelSerializer(many=True, help_text="Moyens de contact communs au cabinet.")


# --- Input ----------------------------------------------------------------------------------------------------

# The search page's message (directory.forms), so that both read and translate alike.
_RADIUS_ERROR = _("Le rayon doit être un nombre de kilomètres entre 1 et 200.")
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
_PAGE_ERROR = _("Numéro de page invalide : un entier à partir de 1.")
_PAGE_SIZE_ERROR = _("Taille de page invalide : un entier entre 1 et 100.")  # MAX_PAGE_SIZE
_BOOLEAN_ERROR = _("Valeur invalide : « true » ou « false » attendu.")


def _optional_boolean(help_text: str) -> serializers.BooleanField:
    return serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text=help_text, error_messages={"invalid": _BOOLEAN_ERROR}
    )


class PageQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=100_000,
        default=1,
        error_messages={"invalid": _PAGE_ERROR, "min_value": _PAGE_ERROR, "max_value": _PAGE_ERROR},
    )
    page_size = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        default=DEFAULT_PAGE_SIZE,
        error_messages={"invalid": _PAGE_SIZE_ERROR, "min_value": _PAGE_SIZE_ERROR, "max_value": _PAGE_SIZE_ERROR},
    )


class PractitionerSearchQuerySerializer(PageQuerySerializer):
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=150, help_text="Spécialité, profession ou nom (« cardio »)."
    )
    specialty = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=150,
        help_text="Spécialité : code RPPS (« SM04 ») ou texte (« cardiologie », « cardio »).",
    )
    commune = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Commune : code INSEE, code postal ou nom. Les résultats sont triés par distance.",
    )
    radius_km = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=MIN_RADIUS_KM,
        max_value=MAX_RADIUS_KM,
        help_text="Rayon autour de la commune (30 km par défaut).",
        error_messages={"invalid": _RADIUS_ERROR, "min_value": _RADIUS_ERROR, "max_value": _RADIUS_ERROR},
    )
    language = serializers.RegexField(
        r"^[a-z]{2}$",
        required=False,
        allow_blank=True,
        help_text="Langue parlée, code ISO 639-1 (« en », « ar »).",
        error_messages={"invalid": _("Langue invalide : un code de deux lettres (« en », « ar »).")},
    )
    tool = serializers.SlugField(
        required=False,
        allow_blank=True,
        max_length=50,
        help_text="Outil utilisé : identifiant court du catalogue (`/api/v1/tools/`).",
        error_messages={"invalid": _("Outil invalide : l'identifiant court d'un outil du catalogue.")},
    )
    accepting_new_patients = _optional_boolean("Accepte (true) ou non (false) de nouveaux patients.")
    teleexpertise = _optional_boolean("Répond (true) ou non (false) aux demandes de télé-expertise.")
    available_this_week = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Seulement les professionnels qui ne sont pas absents cette semaine.",
        error_messages={"invalid": _BOOLEAN_ERROR},
    )


class PracticeQuerySerializer(PageQuerySerializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=150, help_text="Nom du cabinet.")
    commune = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="Commune : code INSEE, code postal ou nom."
    )


class ContactChannelInputSerializer(serializers.Serializer):
    audience = serializers.ChoiceField(choices=Audience.choices)
    kind = serializers.ChoiceField(choices=ContactChannel.Kind.choices)
    value = serializers.CharField(max_length=255, help_text="Numéro, adresse ou lien ; normalisé à l'enregistrement.")
    hours = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    preferred = serializers.BooleanField(required=False, default=False)
    practice = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Cabinet où ce moyen s'applique (un cabinet où le professionnel exerce) ; absent : partout.",
    )


class ContactChannelUpdateSerializer(serializers.Serializer):
    """Only the fields sent change."""

    audience = serializers.ChoiceField(choices=Audience.choices, required=False)
    kind = serializers.ChoiceField(choices=ContactChannel.Kind.choices, required=False)
    value = serializers.CharField(max_length=255, required=False)
    hours = serializers.CharField(max_length=200, required=False, allow_blank=True)
    note = serializers.CharField(max_length=255, required=False, allow_blank=True)
    preferred = serializers.BooleanField(required=False)


class AbsenceInputSerializer(serializers.Serializer):
    starts_on = serializers.DateField(help_text="Premier jour d'absence (AAAA-MM-JJ).")
    ends_on = serializers.DateField(help_text="Dernier jour d'absence, inclus.")
    replacement = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="Identifiant public de la fiche du remplaçant."
    )
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class PractitionerUpdateSerializer(serializers.Serializer):
    """Only the fields sent change. Identity fields (names, RPPS, ADELI, civility) are for the coordination."""

    profession = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=4, help_text="Code TRE_G15 (« 10 »)."
    )
    specialties = serializers.ListField(
        child=serializers.CharField(max_length=10), required=False, help_text="Codes TRE_R38 (« SM04 »)."
    )
    languages = serializers.ListField(
        child=serializers.CharField(max_length=10), required=False, help_text="Codes ISO 639-1."
    )
    accepting_new_patients = serializers.BooleanField(required=False, allow_null=True)
    answers_teleexpertise = serializers.BooleanField(required=False)
    practice_tags = serializers.ListField(child=serializers.ChoiceField(choices=PracticeTag.choices), required=False)
    practice_notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    cpts_member_since = serializers.DateField(required=False, allow_null=True)
    rpps = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=20)
    adeli = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=20)
    civility = serializers.CharField(required=False, allow_blank=True, max_length=20)
    first_name = serializers.CharField(required=False, max_length=150)
    last_name = serializers.CharField(required=False, max_length=150)
