"""The consent a person gives when they sign up to the waiting list: the text shown next to the checkbox and its
version. Both are recorded on the entry's ``ConsentRecord`` as they were shown; a new wording gets a new version
(the records keep the text each person read)."""

from django.utils.translation import gettext_lazy as _

CONSENT_VERSION = "2026-12-v1"

CONSENT_TEXT = _(
    "J'accepte que la CPTS enregistre ces informations, dont des données de santé (affection de longue durée, "
    "grossesse, handicap, traitement à renouveler, complémentaire santé solidaire), pour proposer un médecin "
    "traitant aux personnes inscrites. Seules la coordination de la CPTS et les médecins à qui l'inscription est "
    "proposée les voient, et ces médecins n'en voient que ce qu'il faut pour décider (âge, commune, taille du foyer, "
    "niveau de priorité). L'inscription est à reconfirmer tous les six mois ; elle peut être modifiée, retirée ou "
    "effacée à tout moment avec le lien envoyé après l'inscription."
)
