"""Timeline events store what happened (a code and its values), rendered in the reader's language.

The events written before were French sentences. ``converted_note`` reads back the ones the portal wrote (billing,
forwarding, change of kind, sending outside the portal, attachments) into their code and values, and keeps what
the user had typed after them as the free-text note; a note it does not recognise stays as it was, as free text.
The portal's own actor labels ("Portail (facturation)", "Portail (rappel automatique)") are emptied: the timeline
names the portal in the reader's language. The sentences are copied here as they were written, so that this
migration keeps reading them whatever the code says later."""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.db import migrations, models

SIDES = {"médecin requérant": "requester", "médecin requis": "expert"}
KINDS = {"Adressage (courrier)": "letter", "Télé-expertise": "teleexpertise"}
VIAS = {
    "Messagerie sécurisée de santé (MSSanté)": "mssante",
    "Fax": "fax",
    "Prise de rendez-vous en ligne": "booking_link",
    "Téléphone": "phone",
    "Courrier postal": "post",
}
TYPES = {"PDF": "application/pdf", "JPEG": "image/jpeg", "PNG": "image/png"}
PORTAL_LABELS = {"Portail (facturation)", "Portail (rappel automatique)"}

_SIDE = "(?P<side>médecin requérant|médecin requis)"
_DATE = r"(?P<date>\d{2}/\d{2}/\d{4})"
BILLED = re.compile(rf"Acte facturable \({_SIDE}\) : (?P<code>\S+), (?P<amount>[\d \u00a0\u202f.]+(?:,\d{{1,2}})?) €, le {_DATE}\.")
NOT_BILLABLE = re.compile(rf"Acte non facturable \({_SIDE}\) : (?P<reason>.+)\.", re.DOTALL)
REFUSALS = (
    (re.compile("consentement préalable du patient à la télé-expertise non recueilli"), "no_consent"),
    (re.compile(r"le médecin requis n'est pas identifié \(réponse donnée au nom du cabinet\)"), "no_expert"),
    (re.compile(r"les deux médecins exercent dans la même maison de santé \((?P<site>.*)\)", re.DOTALL), "same_msp"),
    (re.compile("identité du patient incomplète, le plafond annuel ne peut pas être vérifié"), "no_identity"),
    (re.compile(r"plafond de (?P<cap>\d+) actes par an atteint pour ce patient"), "cap_reached"),
    (re.compile(rf"aucun tarif en vigueur le {_DATE}"), "no_tariff"),
)
# The colleague's name is the last " à " part: a practice or a pathway forwarded from may hold one, a person not.
FORWARDED = re.compile(r"Transférée de (?P<from>.+) à (?P<to>.+?)\.(?:\n(?P<typed>.*))?", re.DOTALL)
CONVERTED = re.compile(
    r"(?P<from>Adressage \(courrier\)|Télé-expertise) convertie en (?P<to>Adressage \(courrier\)|Télé-expertise)"
    r"(?: : (?P<typed>.*))?",
    re.DOTALL,
)
SENT_OUTSIDE = re.compile(r"(?P<via>" + "|".join(re.escape(label) for label in VIAS) + r") : (?P<detail>.+)", re.DOTALL)
ATTACHMENT = re.compile(r"(?P<name>.+) \((?P<type>PDF|JPEG|PNG)\)", re.DOTALL)


def _iso(french_day: str) -> str:
    return datetime.datetime.strptime(french_day, "%d/%m/%Y").date().isoformat()


def _cents(french_amount: str) -> int:
    digits = french_amount.replace(" ", "").replace("\u202f", "").replace("\xa0", "").replace(".", "")
    return int(Decimal(digits.replace(",", ".")) * 100)


def _billed(note: str):
    match = BILLED.fullmatch(note)
    if match is None:
        return None
    params = {
        "side": SIDES[match["side"]],
        "code": match["code"],
        "amount_cents": _cents(match["amount"]),
        "date": _iso(match["date"]),
    }
    return "billing_act", params, ""


def _not_billable(note: str):
    match = NOT_BILLABLE.fullmatch(note)
    if match is None:
        return None
    for pattern, reason in REFUSALS:
        found = pattern.fullmatch(match["reason"])
        if found is None:
            continue
        params = {"side": SIDES[match["side"]], "reason": reason}
        if reason == "same_msp":
            params["site"] = found["site"]
        elif reason == "cap_reached":
            params["cap"] = int(found["cap"])
        elif reason == "no_tariff":
            params["date"] = _iso(found["date"])
        return "not_billable", params, ""
    return None


def _forwarded(note: str):
    match = FORWARDED.fullmatch(note)
    if match is None:
        return None
    return "forwarded", {"from": match["from"], "to": match["to"]}, (match["typed"] or "").strip()


def _converted(note: str):
    match = CONVERTED.fullmatch(note)
    if match is None:
        return None
    return "converted", {"from": KINDS[match["from"]], "to": KINDS[match["to"]]}, (match["typed"] or "").strip()


def _sent_outside(note: str):
    match = SENT_OUTSIDE.fullmatch(note)
    if match is None:
        return None
    return "sent_outside", {"via": VIAS[match["via"]], "detail": match["detail"]}, ""


def _attachment(note: str):
    match = ATTACHMENT.fullmatch(note)
    if match is None:
        return None
    return "attachment_added", {"name": match["name"], "content_type": TYPES[match["type"]]}, ""


# Which sentence each action's events held: only an event of that action is read as it.
READERS = {
    "billed_requester": _billed,
    "billed_expert": _billed,
    "not_billable_requester": _not_billable,
    "not_billable_expert": _not_billable,
    "forwarded": _forwarded,
    "converted": _converted,
    "sent_outside": _sent_outside,
    "attachment_added": _attachment,
}


def converted_note(action: str, note: str) -> tuple[str, dict, str] | None:
    """``(note_code, note_params, typed text)`` for a note the portal wrote for ``action``, or None when the note
    is not one of its sentences (then it stays as it is, as free text)."""
    reader = READERS.get(action)
    if reader is None or not note:
        return None
    try:
        return reader(note)
    except (KeyError, ValueError, InvalidOperation):
        return None


def structure_notes(apps, schema_editor):
    ReferralEvent = apps.get_model("referrals", "ReferralEvent")
    events = ReferralEvent.objects.filter(models.Q(action__in=READERS) | models.Q(actor_label__in=PORTAL_LABELS))
    changed = []
    for event in events.iterator(chunk_size=2000):
        converted = converted_note(event.action, event.note)
        if converted is not None:
            event.note_code, event.note_params, event.note = converted
        if event.actor_id is None and event.actor_label in PORTAL_LABELS:
            event.actor_label = ""
        changed.append(event)
        if len(changed) >= 2000:
            ReferralEvent.objects.bulk_update(changed, ["note_code", "note_params", "note", "actor_label"])
            changed = []
    if changed:
        ReferralEvent.objects.bulk_update(changed, ["note_code", "note_params", "note", "actor_label"])


def _french(code: str, params: dict) -> str:
    """The sentence the portal wrote before, for going back to a version that reads only ``note``."""
    sides = {value: label for label, value in SIDES.items()}
    kinds = {value: label for label, value in KINDS.items()}

    def day(iso: str) -> str:
        return datetime.date.fromisoformat(iso).strftime("%d/%m/%Y")

    if code == "billing_act":
        amount = f"{Decimal(params['amount_cents']) / 100:.2f}".replace(".", ",")
        return (
            f"Acte facturable ({sides[params['side']]}) : {params['code']}, {amount} €, le {day(params['date'])}."
        )
    if code == "not_billable":
        reasons = {
            "no_consent": "consentement préalable du patient à la télé-expertise non recueilli",
            "no_expert": "le médecin requis n'est pas identifié (réponse donnée au nom du cabinet)",
            "same_msp": f"les deux médecins exercent dans la même maison de santé ({params.get('site', '')})",
            "no_identity": "identité du patient incomplète, le plafond annuel ne peut pas être vérifié",
            "cap_reached": f"plafond de {params.get('cap')} actes par an atteint pour ce patient",
            "no_tariff": f"aucun tarif en vigueur le {day(params['date'])}" if params.get("date") else "",
        }
        return f"Acte non facturable ({sides[params['side']]}) : {reasons[params['reason']]}."
    if code == "forwarded":
        return f"Transférée de {params['from']} à {params['to']}."
    if code == "converted":
        return f"{kinds[params['from']]} convertie en {kinds[params['to']]}"
    if code == "sent_outside":
        vias = {value: label for label, value in VIAS.items()}
        return f"{vias[params['via']]} : {params['detail']}"
    if code == "attachment_added":
        types = {value: label for label, value in TYPES.items()}
        return f"{params['name']} ({types.get(params['content_type'], params['content_type'])})"
    return ""


def unstructure_notes(apps, schema_editor):
    """Back to sentences: each coded event's French sentence in ``note``, before what the user typed."""
    ReferralEvent = apps.get_model("referrals", "ReferralEvent")
    changed = []
    for event in ReferralEvent.objects.exclude(note_code="").iterator(chunk_size=2000):
        try:
            sentence = _french(event.note_code, event.note_params or {})
        except (KeyError, ValueError, TypeError, InvalidOperation):
            sentence = ""
        separator = " : " if event.note_code == "converted" else "\n"
        event.note = separator.join(part for part in (sentence, event.note) if part)
        changed.append(event)
    ReferralEvent.objects.bulk_update(changed, ["note"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0006_new_request_notices")]

    operations = [
        migrations.AddField(
            model_name="referralevent",
            name="note_code",
            field=models.CharField(blank=True, max_length=30, verbose_name="code de la remarque"),
        ),
        migrations.AddField(
            model_name="referralevent",
            name="note_params",
            field=models.JSONField(blank=True, default=dict, verbose_name="valeurs de la remarque"),
        ),
        migrations.RunPython(structure_notes, unstructure_notes),
    ]
