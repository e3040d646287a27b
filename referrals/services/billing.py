"""Tele-expertise billing and the closing survey.

Owns the dated tariffs (kept by coordinators, never in code), the billing records an answered tele-expertise
produces for each side (the requester bills RQD, the expert TE2), the rules that prevent billing, the warnings
the new-request form shows before sending, and the requesting GP's closing survey.

The rules, for each side separately:

- the patient's prior consent to tele-expertise must have been recorded when the GP asked;
- not between two doctors who work at the same MSP site (maison de santé pluriprofessionnelle);
- at most ``ANNUAL_CAP`` acts per calendar year of the act, per patient, for each expert and each requester;
- the price is the tariff in force on the act's date (the latest ``valid_from`` on or before it), the overseas
  one when the practitioner works overseas, else (or when no overseas row exists yet) the mainland one.

When a rule prevents billing, that side gets no record and the timeline says why; the answer itself is never
refused for a billing reason.
"""

import datetime
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccessLog, User
from accounts.services import access_log_record
from core.amounts import euros_checked
from core.errors import ApplicationError
from directory.models import Activity, Practice, Practitioner
from referrals import timeline
from referrals.models import BillingRecord, Referral, ReferralEvent, Tariff
from referrals.permissions import can_manage_tariffs
from referrals.scope import actor_for
from referrals.services.common import record_event, write_logged

Side = Tariff.Side

ANNUAL_CAP = 4
# A commune's INSEE code (or, for a site entered before communes were loaded, its postal code) starting with 97
# places it overseas (Guadeloupe 971 … Mayotte 976, and the overseas collectivities).
OVERSEAS_PREFIX = "97"
TARIFF_CODE = re.compile(r"^[A-Z0-9]{2,10}$")


# --- Who -------------------------------------------------------------------------------------------------------


# --- Patient key -----------------------------------------------------------------------------------------------


def _normalised(text: str) -> str:
    """Lower case, no accents, words separated by one space: "Marie-Louise  DURAND" → "marie louise durand"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(character for character in decomposed if not unicodedata.combining(character))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain.lower()).split())


def patient_key(*, ins: str = "", family_name: str = "", given_names: str = "", birth_date=None) -> str:
    """Who the yearly cap counts, as a SHA-256 digest that holds no readable identity: the INS when given, else
    the birth name, given names and birth date, normalised (accents, case, hyphens and spaces aside). Empty when
    the identity is too incomplete to count anything."""
    ins = re.sub(r"\s+", "", ins or "").upper()
    if ins:
        source = f"ins:{ins}"
    elif family_name and given_names and birth_date:
        source = f"identity:{_normalised(family_name)}|{_normalised(given_names)}|{birth_date:%Y-%m-%d}"
    else:
        return ""
    return hashlib.sha256(source.encode()).hexdigest()


def referral_patient_key(referral: Referral) -> str:
    return patient_key(
        ins=referral.patient_ins,
        family_name=referral.patient_family_name,
        given_names=referral.patient_given_names,
        birth_date=referral.patient_birth_date,
    )


# --- Tariffs ---------------------------------------------------------------------------------------------------


def _is_overseas(practice: Practice) -> bool:
    code = practice.commune_id or practice.postal_code or ""
    return code.startswith(OVERSEAS_PREFIX)


def practitioner_is_overseas(practitioner: Practitioner) -> bool:
    """Overseas when every site where the practitioner works (with a known place) is overseas: a doctor with a
    mainland site too bills the mainland price, never more than they are due."""
    places = [
        _is_overseas(activity.practice)
        for activity in Activity.objects.filter(practitioner=practitioner).select_related("practice")
        if activity.practice.commune_id or activity.practice.postal_code
    ]
    return bool(places) and all(places)


def tariff_in_force(*, side: str, on_date: datetime.date, overseas: bool = False) -> Tariff | None:
    """The tariff of ``side`` on ``on_date``: the latest ``valid_from`` on or before it; overseas, the overseas
    row, falling back to the mainland one while no overseas row is in force."""
    rows = Tariff.objects.filter(side=side, valid_from__lte=on_date).order_by("-valid_from")
    if overseas:
        found = rows.filter(overseas=True).first()
        if found is not None:
            return found
    return rows.filter(overseas=False).first()


def tariffs_by_side() -> dict[str, list[dict]]:
    """Every tariff row, grouped by side, each with the date its successor takes over (``valid_until``: the day
    before) and whether it is the one in force today."""
    today = timezone.localdate()
    grouped: dict[str, list[dict]] = {side: [] for side in Side.values}
    rows = list(Tariff.objects.order_by("side", "overseas", "valid_from"))
    for index, tariff in enumerate(rows):
        following = rows[index + 1] if index + 1 < len(rows) else None
        same_series = following is not None and (following.side, following.overseas) == (tariff.side, tariff.overseas)
        valid_until = following.valid_from - datetime.timedelta(days=1) if same_series else None
        in_force = tariff.valid_from <= today and (valid_until is None or today <= valid_until)
        grouped[tariff.side].append({"tariff": tariff, "valid_until": valid_until, "in_force": in_force})
    for side_rows in grouped.values():
        side_rows.sort(key=lambda row: (row["tariff"].overseas, -row["tariff"].valid_from.toordinal()))
    return grouped


@transaction.atomic
def tariff_create(
    *,
    acting_user: User,
    side: str,
    code: str,
    label: str,
    amount,
    overseas: bool = False,
    valid_from: datetime.date,
) -> Tariff:
    """A new price from a date. Rows are never edited: a change of price is a new row, so acts already recorded
    keep the price they were billed at, and the table keeps the history. A tariff takes effect today at the
    earliest, for the same reason."""
    if not can_manage_tariffs(acting_user):
        raise ApplicationError(_("Seule la coordination de la CPTS tient les tarifs."), code="forbidden")
    if side not in Side.values:
        raise ApplicationError(_("Choisissez le côté : requérant ou requis."), field="side")
    code = (code or "").strip().upper()
    if not TARIFF_CODE.match(code):
        raise ApplicationError(
            _("Le code de l'acte s'écrit en 2 à 10 lettres majuscules ou chiffres (ex. : TE2)."), field="code"
        )
    label = (label or "").strip()
    if not label:
        raise ApplicationError(_("Indiquez le libellé de l'acte."), field="label")
    amount = euros_checked(amount, example=Decimal("23.00"))
    if valid_from is None:
        raise ApplicationError(_("Indiquez la date d'entrée en vigueur."), field="valid_from")
    if valid_from < timezone.localdate():
        raise ApplicationError(
            _("Un nouveau tarif prend effet aujourd'hui au plus tôt : les actes déjà enregistrés gardent leur prix."),
            field="valid_from",
        )
    if Tariff.objects.filter(side=side, overseas=overseas, valid_from=valid_from).exists():
        raise ApplicationError(
            _("Un tarif de ce côté (%(place)s) prend déjà effet le %(date)s.")
            % {"place": _("outre-mer") if overseas else _("métropole"), "date": valid_from.strftime("%d/%m/%Y")},
            field="valid_from",
        )
    tariff = Tariff(side=side, code=code, label=label, amount=amount, overseas=overseas, valid_from=valid_from)
    try:
        with transaction.atomic():
            tariff.save()
    except IntegrityError:  # the same tariff added at the same moment by another coordinator
        raise ApplicationError(_("Ce tarif vient d'être ajouté par quelqu'un d'autre."), field="valid_from") from None
    return tariff


# --- Billing rules ---------------------------------------------------------------------------------------------


def shared_msp_site(first: Practitioner | None, second: Practitioner | None) -> Practice | None:
    """An MSP site (``Practice.is_msp``) where both practitioners work (each has an ``Activity`` there), if any."""
    if first is None or second is None:
        return None
    both = Activity.objects.filter(practitioner=second).values("practice")
    return Practice.objects.filter(is_msp=True, activities__practitioner=first, pk__in=both).order_by("name").first()


def _acts_in_year(
    practitioner: Practitioner, side: str, key: str, year: int, *, sent_by: Practitioner | None = None
) -> int:
    """The practitioner's acts of ``side`` for this patient in ``year``; only those of requests ``sent_by`` sent
    when given (what that GP may know)."""
    acts = BillingRecord.objects.filter(practitioner=practitioner, side=side, patient_key=key, act_date__year=year)
    if sent_by is not None:
        acts = acts.filter(referral__sender=sent_by)
    return acts.count()


class Refusal:
    """Why a side may not bill: each rule's code, in the order the rules apply."""

    NO_CONSENT = "no_consent"
    NO_EXPERT = "no_expert"
    SAME_MSP = "same_msp"
    NO_IDENTITY = "no_identity"
    CAP_REACHED = "cap_reached"
    NO_TARIFF = "no_tariff"


@dataclass(frozen=True)
class SideDecision:
    """What one side of a tele-expertise may bill (``tariff``), or which rule stops it (``refusal``)."""

    side: str
    practitioner: Practitioner | None
    tariff: Tariff | None = None
    refusal: str = ""
    msp: Practice | None = None


def _decide(
    *,
    requester: Practitioner,
    expert: Practitioner | None,
    key: str,
    consent: bool,
    act_date: datetime.date,
    with_tariff: bool = True,
    counted_for: Practitioner | None = None,
) -> list[SideDecision]:
    """The decision for each side (requester first): consent, an identified expert, same MSP site, a patient
    identity to count, the yearly cap, then a tariff in force. The creation of records and the form's warnings
    both read the rules from here. ``counted_for``: the cap counts only the acts of that GP's own requests (the
    form's warning; the answer counts every act)."""
    msp = shared_msp_site(requester, expert) if consent else None
    decisions = []
    for side, practitioner in ((Side.REQUESTER, requester), (Side.EXPERT, expert)):
        tariff, refusal = None, ""
        if not consent:
            refusal = Refusal.NO_CONSENT
        elif practitioner is None:
            refusal = Refusal.NO_EXPERT
        elif msp is not None:
            refusal = Refusal.SAME_MSP
        elif not key:
            refusal = Refusal.NO_IDENTITY
        elif _acts_in_year(practitioner, side, key, act_date.year, sent_by=counted_for) >= ANNUAL_CAP:
            refusal = Refusal.CAP_REACHED
        elif with_tariff:
            tariff = tariff_in_force(side=side, on_date=act_date, overseas=practitioner_is_overseas(practitioner))
            refusal = "" if tariff is not None else Refusal.NO_TARIFF
        decisions.append(SideDecision(side=side, practitioner=practitioner, tariff=tariff, refusal=refusal, msp=msp))
    return decisions


def _timeline_reason(decision: SideDecision, act_date: datetime.date) -> dict:
    """The timeline's note for a side that bills nothing: the rule's code and its values."""
    return timeline.not_billable_note(
        side=decision.side,
        reason=decision.refusal,
        site=decision.msp.name if decision.msp else "",
        cap=ANNUAL_CAP,
        act_date=act_date,
    )


def _lock_cap(practitioner: Practitioner, side: str, key: str) -> None:
    """Serialises the cap check of one practitioner, side and patient until the transaction ends, so that two
    answers at the same moment cannot both take the last place."""
    digest = hashlib.sha256(f"billing-cap:{practitioner.pk}:{side}:{key}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)])


def amount_label(amount: Decimal) -> str:
    """23.00 → "23,00 €" in French, "€23.00" in English, as the request's history writes amounts."""
    return timeline.amount_label(int((amount * 100).to_integral_value()))


@transaction.atomic
def billing_records_create(*, referral: Referral, act_date: datetime.date | None = None) -> list[BillingRecord]:
    """Called by ``referral_answer`` in its transaction once a tele-expertise is answered: a record for each side
    the rules allow, and a timeline event for each side (billed, or why not). Never refuses: billing does not
    stand in the way of an answer.

    ``act_date``: the day of the answer (Europe/Paris), today unless given."""
    if referral.kind != Referral.Kind.TELEEXPERTISE:
        return []
    act_date = act_date or timezone.localdate()
    key = referral_patient_key(referral)
    requester, expert = referral.sender, referral.handled_by
    for practitioner, side in ((requester, Side.REQUESTER), (expert, Side.EXPERT)):
        if practitioner is not None and key:
            _lock_cap(practitioner, side, key)
    decisions = _decide(
        requester=requester, expert=expert, key=key, consent=referral.teleexpertise_consent, act_date=act_date
    )
    records = []
    for decision in decisions:
        if decision.refusal:
            _billing_event(referral, f"not_billable_{decision.side}", _timeline_reason(decision, act_date))
            continue
        record = BillingRecord.objects.create(
            referral=referral,
            practitioner=decision.practitioner,
            side=decision.side,
            code=decision.tariff.code,
            amount=decision.tariff.amount,
            act_date=act_date,
            patient_key=key,
        )
        records.append(record)
        note = timeline.billing_act_note(side=decision.side, code=record.code, amount=record.amount, act_date=act_date)
        _billing_event(referral, f"billed_{decision.side}", note)
    return records


def _billing_event(referral: Referral, action: str, note: dict) -> ReferralEvent:
    """``note``: a ``referrals.timeline`` builder's code and values; the portal is named when read."""
    return ReferralEvent.objects.create(
        referral=referral,
        actor=None,
        action=action,
        from_status=referral.status,
        to_status=referral.status,
        **note,
    )


def billing_preview(
    *,
    sender: Practitioner,
    recipient_practitioner: Practitioner | None = None,
    teleexpertise_consent: bool = False,
    patient_ins: str = "",
    patient_family_name: str = "",
    patient_given_names: str = "",
    patient_birth_date: datetime.date | None = None,
    on_date: datetime.date | None = None,
    acting_user: User | None = None,
) -> list[str]:
    """What the new-request form tells the GP before sending a tele-expertise that would not be billable, one
    French sentence each; empty when nothing stands in the way. Reads only.

    The yearly cap counts only the acts of the GP's own requests: the form never tells whether another GP's
    patient was seen by this expert (the answer checks the whole cap, and says so on the timeline). For a
    practice or a pathway the expert is not known before the answer: only the GP's own side is checked. Missing
    identity fields skip the cap check only; a check that counts is in the access log (``acting_user``'s read of
    their own requests for this patient). The tariff table is not checked (a missing tariff is the
    coordination's business, not the GP's)."""
    on_date = on_date or timezone.localdate()
    key = patient_key(
        ins=patient_ins, family_name=patient_family_name, given_names=patient_given_names, birth_date=patient_birth_date
    )
    decisions = _decide(
        requester=sender,
        expert=recipient_practitioner,
        key=key,
        consent=teleexpertise_consent,
        act_date=on_date,
        with_tariff=False,
        counted_for=sender,
    )
    if key and teleexpertise_consent and acting_user is not None:
        access_log_record(
            user=acting_user,
            action=AccessLog.Action.READ,
            subject_type="teleexpertise_cap",
            subject_id=key[:64],
            via="referrals.services.billing.billing_preview",
        )
    requester, expert = decisions
    if requester.refusal == Refusal.NO_CONSENT:
        return [_("Sans le consentement préalable du patient, cette télé-expertise ne sera pas facturable.")]
    if requester.refusal == Refusal.SAME_MSP:
        return [
            _(
                "Vous exercez tous deux à %(site)s : une télé-expertise entre médecins de la même maison de santé "
                "n'est pas facturable."
            )
            % {"site": requester.msp.name}
        ]
    warnings = []
    if requester.refusal == Refusal.CAP_REACHED:
        warnings.append(
            _(
                "Vous avez déjà %(cap)s télé-expertises facturées pour ce patient en %(year)s : celle-ci ne sera pas "
                "facturable pour vous."
            )
            % {"cap": ANNUAL_CAP, "year": on_date.year}
        )
    if expert.refusal == Refusal.CAP_REACHED:
        warnings.append(
            _(
                "Vous avez déjà adressé à ce confrère %(cap)s télé-expertises facturées pour ce patient en "
                "%(year)s : il ne pourra pas facturer celle-ci."
            )
            % {"cap": ANNUAL_CAP, "year": on_date.year}
        )
    return warnings


# --- What one request shows ------------------------------------------------------------------------------------


def billing_side_of(user: User, referral: Referral) -> str:
    """``requester`` for the GP who sent the request, ``expert`` for the practitioner who answered it, else ""."""
    own_entry = actor_for(user).entry
    if own_entry is None:
        return ""
    if referral.sender_id == own_entry.pk:
        return Side.REQUESTER
    if referral.handled_by_id == own_entry.pk:
        return Side.EXPERT
    return ""


def billing_outcome_for(user: User, referral: Referral) -> dict:
    """The user's own side of a request's billing: the record, or the timeline's reason none was made."""
    side = billing_side_of(user, referral)
    if not side or referral.kind != Referral.Kind.TELEEXPERTISE:
        return {"side": side, "record": None, "reason": ""}
    record = BillingRecord.objects.filter(referral=referral, side=side).first()
    reason = ""
    if record is None:
        event = referral.events.filter(action=f"not_billable_{side}").order_by("-at", "-id").first()
        reason = timeline.event_note(event) if event is not None else ""
    return {"side": side, "record": record, "reason": reason}


# --- Closing survey --------------------------------------------------------------------------------------------

SURVEY_STATUSES = (Referral.Status.ANSWERED, Referral.Status.CLOSED)


def is_requesting_gp(user: User, referral: Referral) -> bool:
    """The user acts for the directory entry that sent the request."""
    own_entry = actor_for(user).entry
    return own_entry is not None and referral.sender_id == own_entry.pk


def survey_is_open(referral: Referral) -> bool:
    """A tele-expertise answered (or closed after its answer) whose survey nobody has filled in yet."""
    return (
        referral.kind == Referral.Kind.TELEEXPERTISE
        and referral.status in SURVEY_STATUSES
        and bool(referral.answer)
        and referral.survey_answered_at is None
    )


def can_answer_survey(user: User, referral: Referral) -> bool:
    """The requesting GP, once the tele-expertise is answered, once."""
    return survey_is_open(referral) and is_requesting_gp(user, referral)


@transaction.atomic
def survey_answer(*, acting_user: User, referral: Referral, avoided_visit: bool, avoided_emergency: bool) -> Referral:
    """The requesting GP says whether the tele-expertise avoided a face-to-face visit and an emergency visit.
    Answered once; the answers feed the coordinator's dashboard."""
    if not is_requesting_gp(acting_user, referral):
        raise ApplicationError(_("Seul le médecin qui a posé la question répond au questionnaire."), code="forbidden")
    if not isinstance(avoided_visit, bool) or not isinstance(avoided_emergency, bool):
        raise ApplicationError(_("Répondez par oui ou par non à chaque question."), field="avoided_visit")
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.kind != Referral.Kind.TELEEXPERTISE:
        raise ApplicationError(_("Le questionnaire de clôture concerne les télé-expertises."))
    if referral.status not in SURVEY_STATUSES or not referral.answer:
        raise ApplicationError(_("Le questionnaire s'ouvre une fois la réponse de l'expert reçue."))
    if referral.survey_answered_at is not None:
        raise ApplicationError(_("Vous avez déjà répondu à ce questionnaire."), code="already_answered")
    referral.survey_avoided_visit = avoided_visit
    referral.survey_avoided_emergency = avoided_emergency
    referral.survey_answered_at = timezone.now()
    referral.save(
        update_fields=["survey_avoided_visit", "survey_avoided_emergency", "survey_answered_at", "updated_at"]
    )
    record_event(referral, actor=acting_user, action="survey_answered", from_status=referral.status)
    write_logged(acting_user, referral, service="referrals.services.billing.survey_answer")
    return referral
