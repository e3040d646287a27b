"""Professions and specialties of the RPPS nomenclature, with French labels and search synonyms.

Codes from the ANS terminologies (https://mos.esante.gouv.fr/NOS/): TRE_G15-ProfessionSante for professions
("Code profession" in the Annuaire Santé extract), TRE_R38-SpecialiteOrdinale for specialties ("Code
savoir-faire"). Every code below was checked against the published value sets (ANS terminologies IG 1.12.0).
Labels drop the "(SM)" suffix of the nomenclature. Synonyms are what people type; the search compares them
without accents or case.

An upsert by code: rows created earlier (seed_demo, factories) keep their id and links and take the official
label. Specialties outside this list (other savoir-faire) are added by the RPPS import when they appear.
"""

from django.db import migrations

GP = ["généraliste", "médecin généraliste", "médecin traitant", "MG", "médecine générale"]

# code -> (label, synonyms)
PROFESSIONS = {
    "10": ("Médecin", ["médecin", "docteur"]),
    "21": ("Pharmacien", ["pharmacie", "pharmacienne", "officine"]),
    "26": ("Audioprothésiste", []),
    "28": ("Opticien-lunetier", ["opticien"]),
    "31": ("Assistant dentaire", []),
    "32": ("Physicien médical", []),
    "40": ("Chirurgien-dentiste", ["dentiste"]),
    "50": ("Sage-femme", ["maïeuticien"]),
    "60": ("Infirmier", ["infirmière", "IDE", "IDEL"]),
    "69": ("Infirmier psychiatrique", ["infirmière psychiatrique"]),
    "70": ("Masseur-kinésithérapeute", ["kiné", "kinésithérapeute", "kinésithérapie"]),
    "80": ("Pédicure-podologue", ["podologue", "pédicure", "podologie"]),
    "81": ("Orthoprothésiste", []),
    "82": ("Podo-orthésiste", []),
    "83": ("Orthopédiste-orthésiste", []),
    "84": ("Oculariste", []),
    "85": ("Épithésiste", []),
    "86": ("Technicien de laboratoire médical", ["laborantin"]),
    "91": ("Orthophoniste", ["orthophonie"]),
    "92": ("Orthoptiste", ["orthoptie"]),
    "94": ("Ergothérapeute", ["ergo", "ergothérapie"]),
    "95": ("Diététicien", ["diététicienne", "diététique", "nutritionniste"]),
    "96": ("Psychomotricien", ["psychomot", "psychomotricité"]),
}

# code -> (label, synonyms); all are savoir-faire of profession 10 (Médecin).
SPECIALTIES = {
    "SM54": ("Médecine générale", GP),
    "SM53": ("Spécialiste en médecine générale", GP),
    "SM26": ("Qualifié en médecine générale", GP),
    "SM04": ("Cardiologie et maladies vasculaires", ["cardio", "cardiologue", "cœur"]),
    "SM73": ("Médecine cardiovasculaire", ["cardio", "cardiologie", "cardiologue", "cœur"]),
    "SM15": ("Dermatologie et vénéréologie", ["dermato", "dermatologue", "peau"]),
    "SM48": ("Rhumatologie", ["rhumato", "rhumatologue"]),
    "SM24": ("Gastro-entérologie et hépatologie", ["gastro", "gastro-entérologue", "hépato", "hépatologue"]),
    "SM16": ("Endocrinologie et métabolisme", ["endocrino", "endocrinologue", "diabéto", "diabétologue"]),
    "SM62": ("Endocrinologie, diabétologie, nutrition", ["endocrino", "endocrinologue", "diabéto", "diabétologue"]),
    "SM30": ("Néphrologie", ["néphro", "néphrologue", "rein"]),
    "SM19": ("Gynécologie médicale", ["gynéco", "gynécologue"]),
    "SM20": ("Gynécologie-obstétrique", ["gynéco", "gynécologue", "obstétricien", "obstétrique"]),
    "SM08": (
        "Chirurgie orthopédique et traumatologie",
        ["orthopédie", "orthopédiste", "chirurgien orthopédiste", "traumato", "traumatologie"],
    ),
    "SM40": ("Pédiatrie", ["pédiatre"]),
    "SM42": ("Psychiatrie", ["psychiatre", "psy"]),
    "SM43": ("Psychiatrie de l'enfant et de l'adolescent", ["pédopsychiatre", "pédopsy", "psy"]),
    "SM38": ("Ophtalmologie", ["ophtalmo", "ophtalmologue", "ophtalmologiste", "yeux"]),
    "SM34": ("ORL et chirurgie cervico-faciale", ["ORL", "oto-rhino", "oto-rhino-laryngologie"]),
    "SM39": ("Oto-rhino-laryngologie", ["ORL", "oto-rhino"]),
    "SM41": ("Pneumologie", ["pneumo", "pneumologue", "poumon"]),
    "SM32": ("Neurologie", ["neuro", "neurologue"]),
    "SM18": ("Gériatrie", ["gériatre"]),
    "SM57": ("Allergologie", ["allergo", "allergologue"]),
}


def load(apps, schema_editor):
    Profession = apps.get_model("directory", "Profession")
    Specialty = apps.get_model("directory", "Specialty")
    db = schema_editor.connection.alias
    professions = {}
    for code, (label, synonyms) in PROFESSIONS.items():
        professions[code], _created = Profession.objects.using(db).update_or_create(
            code=code, defaults={"label": label, "synonyms": synonyms}
        )
    for code, (label, synonyms) in SPECIALTIES.items():
        Specialty.objects.using(db).update_or_create(
            code=code, defaults={"label": label, "synonyms": synonyms, "profession": professions["10"]}
        )


class Migration(migrations.Migration):
    dependencies = [("directory", "0004_load_communes")]

    # Going back leaves the rows: entries may already point at these specialties, and migrating back past
    # 0003 drops the professions and the synonyms anyway.
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
