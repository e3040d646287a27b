"""Demo requests for the demo territory (``seed_demo`` calls ``seed_referrals_demo``): a few dozen requests in
every status between the demo GPs and specialists, some overdue, and one priority pathway.

Requests go through the same services as the pages, so that their timelines, messages and outbox rows are the
real ones; only the dates are moved back afterwards, to show requests of past weeks and overdue ones. Running it
again changes nothing (the territory's requests are looked for first). Patients are invented; their e-mail
addresses are on a reserved test domain.
"""

import datetime
import itertools
import unicodedata
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from directory.models import Practice, Practitioner, Territory
from referrals import services
from referrals.models import BillingRecord, Pathway, Referral, ReferralEvent, Urgency
from referrals.services.statistics import response_statistics_compute

PATIENTS = [
    ("LEROY", "Jeanne", datetime.date(1948, 5, 2), "F"),
    ("MOREL", "Louis", datetime.date(1961, 11, 23), "M"),
    ("FOURNIER", "Inès", datetime.date(1987, 2, 14), "F"),
    ("GIRAUD", "Henri", datetime.date(1939, 7, 30), "M"),
    ("BONNET", "Élise", datetime.date(1972, 9, 8), "F"),
    ("FRANÇOIS", "Mathis", datetime.date(2003, 4, 19), "M"),
    ("MERCIER", "Lucie", datetime.date(1955, 12, 1), "F"),
    ("BLANC", "Gérard", datetime.date(1950, 3, 27), "M"),
    ("GUERIN", "Manon", datetime.date(1995, 6, 11), "F"),
    ("BOYER", "André", datetime.date(1944, 1, 5), "M"),
    ("GARNIER", "Chloé", datetime.date(1980, 10, 16), "F"),
    ("CHEVALIER", "Yves", datetime.date(1958, 8, 22), "M"),
]

CARDIO_REASONS = [
    ("Dyspnée d'effort récente", "Échographie cardiaque et avis sur une insuffisance cardiaque débutante ?"),
    ("Palpitations paroxystiques", "Holter ECG ? Faut-il anticoaguler ?"),
    ("HTA résistante à trois traitements", "Recherche d'une cause secondaire ?"),
    ("Souffle systolique découvert", "Rétrécissement aortique ? Échographie."),
    ("Douleur thoracique atypique", "Épreuve d'effort avant reprise du sport ?"),
]
DERMATO_REASONS = [
    ("Lésion pigmentée qui change", "Mélanome à éliminer : dermoscopie ?"),
    ("Psoriasis étendu malgré les dermocorticoïdes", "Traitement systémique ?"),
    ("Eczéma chronique des mains", "Bilan allergologique ?"),
]
PATHWAY_NAME = "Suspicion de cancer cutané"


@dataclass
class DemoPeople:
    gp: User
    gp2: User
    cardiologist: User
    dermatologist: User
    cardio_secretary: User
    cardio_practice: Practice
    dermato_practice: Practice
    cardiologist_entry: Practitioner
    dermatologist_entry: Practitioner


def _age(referral: Referral, days: float) -> None:
    """Moves a request and its timeline ``days`` back in time (the services date everything now). Whatever
    happened after the sending happens, in the demo, some hours after it: the first answer within a day or
    two, as the measured delays on the directory pages then show."""
    referral.refresh_from_db()
    shift = datetime.timedelta(days=days)
    sent_at = referral.sent_at - shift
    answered_after = datetime.timedelta(hours=min(days * 24 / 2, 6 + (referral.pk % 5) * 9))
    moved = {name: getattr(referral, name) - shift for name in ("created_at", "sent_at", "due_at")}
    if referral.appointment_at is not None:  # given "in N days" when it was accepted, N days after the sending
        moved["appointment_at"] = referral.appointment_at - shift
    for name in ("first_response_at", "closed_at"):
        if getattr(referral, name) is not None:
            moved[name] = sent_at + answered_after * (1 if name == "first_response_at" else 2)
    Referral.objects.filter(pk=referral.pk).update(**moved)
    for event in ReferralEvent.objects.filter(referral=referral).exclude(action="sent"):
        ReferralEvent.objects.filter(pk=event.pk).update(at=sent_at + answered_after)
    ReferralEvent.objects.filter(referral=referral, action="sent").update(at=sent_at)
    for record in BillingRecord.objects.filter(referral=referral):
        BillingRecord.objects.filter(pk=record.pk).update(act_date=timezone.localdate(sent_at + answered_after))


class _Sender:
    def __init__(self):
        self.patients = itertools.cycle(PATIENTS)

    def __call__(self, user: User, *, kind=Referral.Kind.LETTER, urgency=Urgency.ROUTINE, reason=("", ""), **to):
        family_name, given_names, birth_date, sex = next(self.patients)
        return services.referral_send(
            acting_user=user,
            kind=kind,
            urgency=urgency,
            patient_family_name=family_name,
            patient_given_names=given_names,
            patient_birth_date=birth_date,
            patient_sex=sex,
            patient_phone="+33612345678",
            patient_email=_ascii(f"{given_names}.{family_name}@patient.example").lower(),
            contact_consent=True,
            teleexpertise_consent=kind == Referral.Kind.TELEEXPERTISE,
            attending_practitioner=user.practitioner,
            reason=reason[0],
            question=reason[1],
            history="HTA traitée depuis 2015. Ancien fumeur (20 paquets-années).",
            treatments="Amlodipine 5 mg le matin.",
            allergies="Pénicilline (urticaire).",
            # Twelve patients for a few dozen requests: a patient sent again within 30 days is meant here.
            confirm_duplicate=True,
            **to,
        )


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _appointment(days_ahead: int, hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days_ahead)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 30)))


@transaction.atomic
def seed_referrals_demo(territory: Territory, people: DemoPeople) -> int:
    if not Referral.objects.filter(territory=territory).exists():
        _seed(territory, people)
    # The directory shows measured delays from the first run, not only after the nightly task.
    response_statistics_compute()
    return Referral.objects.filter(territory=territory).count()


def _seed(territory: Territory, people: DemoPeople) -> None:
    pathway, _created = Pathway.objects.get_or_create(
        territory=territory,
        name=PATHWAY_NAME,
        defaults={
            "description": "Toute lésion cutanée suspecte de mélanome ou de carcinome : un dermatologue du "
            "territoire répond sous 7 jours.",
            "target_delay": datetime.timedelta(days=7),
        },
    )
    pathway.responder_practitioners.add(people.dermatologist_entry)
    pathway.responder_practices.add(people.dermato_practice)

    send = _Sender()
    cardio = {"recipient_practitioner": people.cardiologist_entry}
    secretary = people.cardio_secretary
    reasons = itertools.cycle(CARDIO_REASONS)

    # Waiting in the cardiology inbox: new, one overdue, one urgent.
    for days, urgency in ((1, Urgency.ROUTINE), (40, Urgency.ROUTINE), (0.2, Urgency.URGENT), (3, Urgency.URGENT)):
        referral = send(people.gp, urgency=urgency, reason=next(reasons), **cardio)
        _age(referral, days)
    referral = send(people.gp2, urgency=Urgency.RAPID, reason=next(reasons), recipient_practice=people.cardio_practice)
    _age(referral, 2)
    # Acknowledged, one of them past its date.
    for days in (5, 12):
        referral = send(people.gp, urgency=Urgency.RAPID, reason=next(reasons), **cardio)
        services.referral_acknowledge(acting_user=secretary, referral=referral)
        _age(referral, days)
    # The cardiologist needs more.
    referral = send(people.gp2, reason=next(reasons), **cardio)
    services.referral_request_info(
        acting_user=people.cardiologist, referral=referral, message="Pouvez-vous joindre le dernier ECG ?"
    )
    _age(referral, 4)
    # Accepted with an appointment; one of them seen and closed with a report.
    for days_ahead in (6, 13, 20):
        referral = send(people.gp, reason=next(reasons), **cardio)
        services.referral_acknowledge(acting_user=secretary, referral=referral)
        services.referral_accept(
            acting_user=secretary,
            referral=referral,
            appointment_at=_appointment(days_ahead),
            site=people.cardio_practice,
            instructions="Venir 15 minutes avant avec la carte Vitale et les derniers examens.",
        )
        _age(referral, 3)
    referral = send(people.gp2, reason=next(reasons), **cardio)
    services.referral_accept(
        acting_user=secretary, referral=referral, appointment_at=_appointment(1), site=people.cardio_practice
    )
    services.referral_close(acting_user=people.cardiologist, referral=referral, note="Patient vu, compte-rendu envoyé.")
    _age(referral, 30)
    # Months of past requests, seen and closed: the cardiologist's measured delays come from them.
    for months_ago in range(1, 9):
        referral = send(people.gp if months_ago % 2 else people.gp2, reason=next(reasons), **cardio)
        services.referral_acknowledge(acting_user=secretary, referral=referral)
        services.referral_accept(
            acting_user=secretary,
            referral=referral,
            appointment_at=_appointment(7 + months_ago),
            site=people.cardio_practice,
        )
        services.referral_close(acting_user=people.cardiologist, referral=referral)
        _age(referral, 20 * months_ago + 15)
    # Declined with a colleague suggested; cancelled by the GP.
    referral = send(people.gp, reason=next(reasons), **cardio)
    colleague = (
        Practitioner.objects.filter(territory=territory, specialties__code="SM04")
        .exclude(pk=people.cardiologist_entry.pk)
        .order_by("last_name")
        .first()
    )
    services.referral_decline(
        acting_user=secretary,
        referral=referral,
        reason="Pas de rendez-vous possible avant trois mois au cabinet : un confrère du territoire peut recevoir "
        "votre patient plus tôt.",
        suggested_practitioner=colleague,
    )
    _age(referral, 9)
    referral = send(people.gp2, reason=next(reasons), **cardio)
    services.referral_cancel(acting_user=people.gp2, referral=referral, note="Le patient a consulté aux urgences.")
    _age(referral, 15)

    # Tele-expertise with the cardiologist: one waiting, one answered, one answered and closed.
    teleexpertise = {"kind": Referral.Kind.TELEEXPERTISE, **cardio}
    referral = send(
        people.gp, reason=("ECG : bloc de branche droit ?", "Faut-il un avis en consultation ?"), **teleexpertise
    )
    _age(referral, 2)
    for days, close in ((4, False), (20, True)):
        referral = send(
            people.gp2, reason=("Anticoagulation et chute récente", "Poursuivre l'apixaban ?"), **teleexpertise
        )
        services.referral_answer(
            acting_user=people.cardiologist,
            referral=referral,
            answer="Poursuivre l'apixaban à dose pleine ; pas d'indication à arrêter après une chute simple.",
        )
        if close:
            services.referral_close(acting_user=people.cardiologist, referral=referral)
        _age(referral, days)

    # Dermatology, and the pathway.
    derm = itertools.cycle(DERMATO_REASONS)
    referral = send(people.gp, reason=next(derm), recipient_practitioner=people.dermatologist_entry)
    _age(referral, 6)
    referral = send(people.gp2, reason=next(derm), recipient_practitioner=people.dermatologist_entry)
    services.referral_acknowledge(acting_user=people.dermatologist, referral=referral)
    _age(referral, 35)
    for days in (1, 9):
        referral = send(people.gp, urgency=Urgency.RAPID, reason=DERMATO_REASONS[0], pathway=pathway)
        _age(referral, days)
    referral = send(people.gp2, urgency=Urgency.RAPID, reason=DERMATO_REASONS[0], pathway=pathway)
    services.referral_accept(
        acting_user=people.dermatologist,
        referral=referral,
        appointment_at=_appointment(4, hour=14),
        site=people.dermato_practice,
    )
    _age(referral, 2)
