"""The public sign-up (no account): a household, its contact, its consent; a 6-digit code proves the contact, then
the entry waits in the queue and the person receives the link to follow, update or withdraw it.

The page, the API and the benchmark call these services. Nothing here ever says whether someone else is on the
list: a suspected duplicate is flagged for the coordinator (``waitlist.services.duplicates``) and the person gets
the same answers as anyone.
"""

import datetime
from dataclasses import dataclass, field

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccessLog, User
from accounts.services import access_log_record
from core.errors import ApplicationError
from directory.contact_values import french_phone_e164
from directory.models import Commune, Territory
from notifications.models import OutboundMessage
from notifications.selectors import masked_recipient
from notifications.services import message_enqueue
from notifications.verification import verification_code_check, verification_code_consume, verification_code_send
from waitlist.consent import CONSENT_TEXT, CONSENT_VERSION
from waitlist.models import (
    MAX_HOUSEHOLD_SIZE,
    MAX_TRAVEL_KM,
    ConsentRecord,
    Entry,
    EntryEvent,
    HouseholdMember,
    Sex,
    SignupSource,
    Situation,
)
from waitlist.services.common import (
    entry_event_record,
    entry_follow_link,
    entry_priority_refresh,
    waiting_list_for_commune,
)
from waitlist.services.duplicates import entry_duplicates_flag

CODE_PURPOSE = "waitlist-signup"
WELCOME_TEMPLATE = "waitlist_signup_welcome"
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
NAME_MAX_LENGTH = 150
# Who may sign up through the public page and the API; a departing GP's practice signs up in bulk elsewhere.
PUBLIC_SOURCES = (SignupSource.SELF, SignupSource.RELATIVE, SignupSource.PROFESSIONAL)


@dataclass(frozen=True)
class PersonDetails:
    """One person of the household as typed: identity and the facts the priority reads (never a diagnosis)."""

    family_name: str
    given_names: str
    birth_date: datetime.date | None
    sex: str
    ald: bool = False
    pregnancy: bool = False
    disability: bool = False
    precarity: bool = False
    treatment_renewal: bool = False


@dataclass(frozen=True)
class SignupDetails:
    """A sign-up as typed on the page or sent to the API; ``commune`` is an INSEE code."""

    person: PersonDetails
    commune: str
    situation: str
    max_distance_km: int | None
    consent: bool
    phone: str = ""
    email: str = ""
    source: str = SignupSource.SELF
    household: list[PersonDetails] = field(default_factory=list)


def _person_checked(person: PersonDetails, prefix: str) -> PersonDetails:
    """``prefix`` names the person in the error's field: "" for the main person, "household[1]." for another."""
    family_name = " ".join((person.family_name or "").split())
    given_names = " ".join((person.given_names or "").split())
    if not family_name:
        raise ApplicationError(_("Indiquez le nom."), field=f"{prefix}family_name")
    if not given_names:
        raise ApplicationError(_("Indiquez le ou les prénoms."), field=f"{prefix}given_names")
    if len(family_name) > NAME_MAX_LENGTH or len(given_names) > NAME_MAX_LENGTH:
        raise ApplicationError(
            _("Ce nom est trop long (%(max)s caractères au plus).") % {"max": NAME_MAX_LENGTH},
            field=f"{prefix}family_name" if len(family_name) > NAME_MAX_LENGTH else f"{prefix}given_names",
        )
    birth_date = person.birth_date
    if birth_date is None:
        raise ApplicationError(_("Indiquez la date de naissance."), field=f"{prefix}birth_date")
    if birth_date > timezone.localdate():
        raise ApplicationError(
            _("Cette date de naissance est dans le futur : vérifiez-la."), field=f"{prefix}birth_date"
        )
    if birth_date < EARLIEST_BIRTH_DATE:
        raise ApplicationError(
            _("Cette date de naissance est avant 1900 : vérifiez l'année."), field=f"{prefix}birth_date"
        )
    if person.sex not in Sex.values:
        raise ApplicationError(_("Indiquez le sexe."), field=f"{prefix}sex")
    return PersonDetails(
        family_name=family_name,
        given_names=given_names,
        birth_date=birth_date,
        sex=person.sex,
        ald=bool(person.ald),
        pregnancy=bool(person.pregnancy),
        disability=bool(person.disability),
        precarity=bool(person.precarity),
        treatment_renewal=bool(person.treatment_renewal),
    )


@dataclass(frozen=True)
class _Contact:
    phone: str
    email: str
    # Where the code goes: a mobile by SMS, else the e-mail address.
    channel: str
    address: str


def _contact_checked(phone: str, email: str) -> _Contact:
    phone, email = (phone or "").strip(), (email or "").strip().lower()
    if not phone and not email:
        raise ApplicationError(
            _("Indiquez un téléphone portable ou une adresse e-mail : le code de vérification y est envoyé."),
            field="phone",
        )
    if phone:
        try:
            phone = french_phone_e164(phone)
        except ValidationError:
            raise ApplicationError(
                _("Ce numéro de téléphone n'en est pas un (ex. 06 12 34 56 78)."), field="phone"
            ) from None
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ApplicationError(
                _("Cette adresse e-mail n'en est pas une (ex. prenom.nom@exemple.fr)."), field="email"
            ) from None
    if phone and _is_mobile(phone):
        return _Contact(phone=phone, email=email, channel=OutboundMessage.Channel.SMS, address=phone)
    if email:
        return _Contact(phone=phone, email=email, channel=OutboundMessage.Channel.EMAIL, address=email)
    raise ApplicationError(
        _("Ce numéro n'est pas un portable : le code est envoyé par SMS. Indiquez un portable ou une adresse e-mail."),
        field="phone",
    )


def _is_mobile(phone: str) -> bool:
    number_type = phonenumbers.number_type(phonenumbers.parse(phone))
    return number_type in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _commune_checked(insee_code: str) -> Commune:
    commune = Commune.objects.filter(insee_code=(insee_code or "").strip().upper()).first()
    if commune is None:
        raise ApplicationError(
            _("Commune inconnue : choisissez-la dans la liste (nom ou code postal)."), field="commune"
        )
    return commune


def _distance_checked(value) -> int:
    try:
        distance = int(value)
    except (TypeError, ValueError):
        distance = 0
    if not 1 <= distance <= MAX_TRAVEL_KM:
        raise ApplicationError(
            _("Indiquez jusqu'où vous pouvez vous déplacer : entre 1 et %(max)s km.") % {"max": MAX_TRAVEL_KM},
            field="max_distance_km",
        )
    return distance


def signup_checked(details: SignupDetails) -> tuple[SignupDetails, Commune, _Contact]:
    """Every rule of a sign-up, in the order of the page; the first refusal is a French ApplicationError on its
    field (``household[i].<field>`` for the i-th other member, counted from 0)."""
    if details.source not in PUBLIC_SOURCES:
        raise ApplicationError(_("Indiquez qui fait l'inscription."), field="source")
    person = _person_checked(details.person, "")
    if len(details.household) + 1 > MAX_HOUSEHOLD_SIZE:
        raise ApplicationError(
            _("Un foyer compte au plus %(max)s personnes : faites une autre inscription pour les suivantes.")
            % {"max": MAX_HOUSEHOLD_SIZE},
            field="household",
        )
    household = [_person_checked(member, f"household[{index}].") for index, member in enumerate(details.household)]
    commune = _commune_checked(details.commune)
    contact = _contact_checked(details.phone, details.email)
    if details.situation not in Situation.values:
        raise ApplicationError(_("Indiquez pourquoi vous n'avez pas de médecin traitant."), field="situation")
    distance = _distance_checked(details.max_distance_km)
    if details.consent is not True:
        raise ApplicationError(
            _("Cochez la case du consentement : sans lui, la CPTS ne peut pas enregistrer l'inscription."),
            field="consent",
        )
    cleaned = SignupDetails(
        person=person,
        commune=commune.insee_code,
        situation=details.situation,
        max_distance_km=distance,
        consent=True,
        phone=contact.phone,
        email=contact.email,
        source=details.source,
        household=household,
    )
    return cleaned, commune, contact


def _territory_id(entry: Entry) -> int | None:
    """The territory the outbox rows belong to: the commune's, among those sharing the entry's list."""
    return (
        Territory.objects.filter(communes=entry.commune_id, waiting_list_membership__waiting_list=entry.waiting_list_id)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def _code_address(entry: Entry) -> tuple[str, str]:
    """Where the entry's code goes (the same rule as at sign-up): its mobile by SMS, else its e-mail."""
    if entry.phone and _is_mobile(entry.phone):
        return OutboundMessage.Channel.SMS, entry.phone
    return OutboundMessage.Channel.EMAIL, entry.email


@transaction.atomic
def entry_signup(*, details: SignupDetails, acting_user: User | None = None) -> Entry:
    """Saves the household as an unverified entry with its consent and its priority, and sends the code. A refused
    sign-up saves nothing (a code refused for too many sends to one address included). ``acting_user``: whoever
    is signed in when the page or the API is used (a professional signing a patient up), else nobody; their
    creation of patient data is in the access log."""
    acting_user = acting_user if acting_user is not None and acting_user.is_authenticated else None
    details, commune, contact = signup_checked(details)
    waiting_list = waiting_list_for_commune(commune)
    now = timezone.now()
    people = [details.person, *details.household]
    entry = Entry.objects.create(
        waiting_list=waiting_list,
        commune=commune,
        phone=details.phone,
        email=details.email,
        situation=details.situation,
        max_distance_km=details.max_distance_km,
        source=details.source,
        household_size=len(people),
    )
    HouseholdMember.objects.bulk_create(
        HouseholdMember(
            entry=entry,
            position=position,
            family_name=person.family_name,
            given_names=person.given_names,
            birth_date=person.birth_date,
            sex=person.sex,
            ald=person.ald,
            pregnancy=person.pregnancy,
            disability=person.disability,
            precarity=person.precarity,
            treatment_renewal=person.treatment_renewal,
        )
        for position, person in enumerate(people)
    )
    ConsentRecord.objects.create(
        entry=entry,
        version=CONSENT_VERSION,
        text=str(CONSENT_TEXT),
        given_at=now,
        given_by=details.source,
        recorded_by=acting_user,
    )
    entry_priority_refresh(entry)
    entry_event_record(
        entry=entry,
        kind=EntryEvent.Kind.SIGNED_UP,
        actor=acting_user,
        by_patient=acting_user is None,
        details={"source": details.source, "household_size": len(people), "code_channel": contact.channel},
    )
    if acting_user is not None:
        access_log_record(
            user=acting_user,
            action=AccessLog.Action.CREATE,
            subject_type="waitlist_entry",
            subject_id=entry.public_id,
            patient_ref=entry.public_id,
            via="waitlist.services.signup.entry_signup",
        )
    territory_id = _territory_id(entry)
    try:
        verification_code_send(
            purpose=CODE_PURPOSE, channel=contact.channel, address=contact.address, territory_id=territory_id
        )
    except ApplicationError as error:
        field_name = "phone" if contact.channel == OutboundMessage.Channel.SMS else "email"
        raise ApplicationError(error.message, field=field_name, code=error.code) from None
    return entry


def entry_code_resend(*, entry: Entry) -> Entry:
    """A new code for an entry still waiting for its code (at most three an hour to one address)."""
    if entry.status != Entry.Status.UNVERIFIED:
        raise ApplicationError(_("Cette inscription est déjà vérifiée."), field="code")
    channel, address = _code_address(entry)
    verification_code_send(purpose=CODE_PURPOSE, channel=channel, address=address, territory_id=_territory_id(entry))
    return entry


def entry_for_code(public_id) -> Entry:
    """The entry a code step is about: an unverified or already verified sign-up; anything else is "not found"
    (an erased or merged entry has no code step)."""
    entry = (
        Entry.objects.filter(
            public_id=public_id, status__in=[Entry.Status.UNVERIFIED, Entry.Status.WAITING, Entry.Status.PROPOSED]
        )
        .select_related("waiting_list")
        .first()
    )
    if entry is None:
        raise ApplicationError(_("Cette inscription est introuvable."), code="not_found")
    return entry


def entry_verify(*, entry: Entry, code: str) -> Entry:
    """The code typed: the entry waits in the queue from now, the person receives the link to follow it, and a
    suspected duplicate is flagged for the coordinator (the person is not told). A code typed again for an entry
    already verified changes nothing. Not atomic at this level: a wrong code stays counted (five tries)."""
    if entry.status != Entry.Status.UNVERIFIED:
        return entry
    channel, address = _code_address(entry)
    code_id = verification_code_check(purpose=CODE_PURPOSE, address=address, code=code)
    with transaction.atomic():
        entry = Entry.objects.select_for_update().get(pk=entry.pk)
        if entry.status != Entry.Status.UNVERIFIED:  # the same code typed twice at once: the first one counts
            return entry
        verification_code_consume(code_id)
        now = timezone.now()
        entry.status = Entry.Status.WAITING
        entry.waiting_since = now
        entry.confirmed_at = now
        verified_field = "phone_verified_at" if channel == OutboundMessage.Channel.SMS else "email_verified_at"
        setattr(entry, verified_field, now)
        entry.save(update_fields=["status", "waiting_since", "confirmed_at", verified_field, "updated_at"])
        entry_event_record(entry=entry, kind=EntryEvent.Kind.VERIFIED, by_patient=True, details={"channel": channel})
        entry_priority_refresh(entry)  # a birthday since the sign-up
        entry_duplicates_flag(entry=entry)
        _welcome(entry, channel=channel, address=address)
    return entry


def _welcome(entry: Entry, *, channel: str, address: str, template: str = WELCOME_TEMPLATE) -> None:
    """The follow link, to the contact just proven only (an unproven address must not receive it)."""
    message_enqueue(
        channel=channel,
        recipient=address,
        template=template,
        context={"follow_url": entry_follow_link(entry), "household_size": entry.household_size},
        idempotency_key=f"{template}:{entry.public_id}:{channel}",
        recipient_kind=OutboundMessage.RecipientKind.PATIENT,
        territory_id=_territory_id(entry),
    )


def entry_welcome_send(*, entry: Entry, template: str) -> bool:
    """The follow link sent to an entry signed up by someone else who holds its contact (a departing GP's
    practice): to its mobile, else its e-mail, as a code would be. False when it has neither."""
    channel, address = _code_address(entry)
    if not address:
        return False
    _welcome(entry, channel=channel, address=address, template=template)
    return True


def masked_contact(entry: Entry) -> tuple[str, str]:
    """Where the code went, as the code step shows it: ("sms", "06 •• •• •• 78") or ("email", "j•••@…"), masked
    as on the outbox page (the step's address may be opened by someone else than the person)."""
    channel, address = _code_address(entry)
    shown = masked_recipient(
        OutboundMessage(channel=channel, recipient=address, recipient_kind=OutboundMessage.RecipientKind.PATIENT)
    )
    return channel, shown
