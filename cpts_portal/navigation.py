"""The navigation: each entry says which named predicate shows it, so each role sees what it can do.

Domain apps add their entries here as they are built (the project package is the one place allowed to
know every app).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.permissions import can_search_access_log, can_see_outbox_failures
from directory.permissions import can_follow_directory, can_manage_accounts
from referrals.permissions import (
    can_follow_overdue_referrals,
    can_list_teleexpertise_acts,
    can_manage_tariffs,
    can_see_dashboard,
    can_send_referrals,
    can_work_referral_inbox,
)


def _signed_in(user) -> bool:
    return user.is_authenticated


@dataclass(frozen=True)
class NavEntry:
    label: Promise
    url_name: str
    icon: str
    visible_to: Callable[..., bool]
    description: Promise | str = ""


NAVIGATION = [
    NavEntry(_("Accueil"), "home", "house", _signed_in, _("Votre tableau de bord.")),
    NavEntry(
        _("Annuaire"),
        "directory:search",
        "search",
        _signed_in,
        _("Trouver un professionnel du territoire par spécialité ou par nom, près d'une commune, et le joindre."),
    ),
    NavEntry(
        _("Mes demandes"),
        "referrals:list",
        "send",
        can_send_referrals,
        _("Adresser un patient ou demander un avis, et suivre chaque demande jusqu'à sa réponse."),
    ),
    NavEntry(
        _("Demandes reçues"),
        "referrals:inbox",
        "inbox",
        can_work_referral_inbox,
        _("Les adressages et télé-expertises reçus par vos cabinets, les retards d'abord."),
    ),
    NavEntry(
        _("Actes de télé-expertise"),
        "referrals:billing_acts",
        "receipt",
        can_list_teleexpertise_acts,
        _("Vos actes facturables du mois et leur export CSV."),
    ),
    NavEntry(
        _("Demandes en retard"),
        "referrals:coordination_overdue",
        "hourglass-split",
        can_follow_overdue_referrals,
        _("Les demandes du territoire qui ont dépassé leur délai cible : statuts et délais, sans données cliniques."),
    ),
    NavEntry(
        _("Tableau de bord des demandes"),
        "referrals:dashboard",
        "bar-chart",
        can_see_dashboard,
        _("Volumes, délais, acceptation et consultations évitées, par spécialité et par mois."),
    ),
    NavEntry(
        _("Tarifs de télé-expertise"),
        "referrals:tariff_list",
        "currency-euro",
        can_manage_tariffs,
        _("Les tarifs en vigueur et à venir des actes RQD et TE2."),
    ),
    NavEntry(
        _("Journal des accès"),
        "accounts:access_log",
        "journal-text",
        can_search_access_log,
        _("Qui a consulté ou modifié quelles données de patients, quand et par quelle page."),
    ),
    NavEntry(
        _("Envois en échec"),
        "notifications:outbox",
        "envelope-exclamation",
        can_see_outbox_failures,
        _("Les e-mails et SMS qui n'ont pas pu partir, et un message de test."),
    ),
    NavEntry(
        _("Comptes et rôles"),
        "directory:account_list",
        "people",
        can_manage_accounts,
        _("Inviter une secrétaire, un régulateur ou un observateur, et attribuer ou retirer des rôles."),
    ),
    NavEntry(
        _("Suivi de l'annuaire"),
        "directory:upkeep_feed",
        "clipboard-check",
        can_follow_directory,
        _("Les modifications des fiches, les demandes de rattachement, les signalements, les doublons."),
    ),
    NavEntry(
        _("Mon compte"),
        "accounts:profile",
        "person-circle",
        _signed_in,
        _("Vos rôles, la double authentification et vos jetons d'API."),
    ),
]


def navigation_for(user) -> list[dict]:
    return [
        {
            "label": entry.label,
            "url": reverse(entry.url_name),
            "icon": entry.icon,
            "description": entry.description,
            "url_name": entry.url_name,
        }
        for entry in NAVIGATION
        if entry.visible_to(user)
    ]
