"""The referral letter is a real PDF that carries what the specialist needs; it is read back here."""

import io

from pypdf import PdfReader

from core.identifiers import nir_key
from directory.models import Practitioner
from referrals.letters import referral_letter_pdf
from referrals.services import referral_send
from tests.referrals.conftest import PATIENT

INS_BODY = "2580385123456"  # a woman born in March 1958 in Vendée
INS = f"{INS_BODY}{nir_key(INS_BODY):02d}"


def test_the_letter_reads_back_with_sender_recipient_patient_and_clinical_text(gp, cardiologist):
    cardio = Practitioner.objects.get(user=cardiologist)
    sender = Practitioner.objects.get(user=gp)
    referral = referral_send(
        acting_user=gp,
        kind="letter",
        urgency="rapid",
        recipient_practitioner=cardio,
        **{
            **PATIENT,
            "patient_ins": INS,
            "history": "HTA depuis 2015",
            "treatments": "Amlodipine 5 mg",
            "allergies": "Pénicilline",
        },
    )

    pdf = referral_letter_pdf(referral)

    assert pdf.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for expected in (
        "Courrier d'adressage",
        f"RPPS {sender.rpps}",
        f"RPPS {cardio.rpps}",
        "DURAND",
        "Louise Marie",
        "14/03/1958",
        "Féminin",
        INS,
        "Rapide",
        "Essoufflement à l'effort",
        "Bilan cardiologique ?",
        "HTA depuis 2015",
        "Amlodipine 5 mg",
        "Pénicilline",
        "Bien confraternellement",
    ):
        assert expected in text, expected
