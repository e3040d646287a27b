"""The navigation: each entry says which named predicate shows it, so each role sees what it can do.

Domain apps add their entries here as they are built (the project package is the one place allowed to
know every app).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.permissions import can_search_access_log, can_see_outbox_failures
from directory.permissions import can_follow_directory, can_manage_accounts
from directory.selectors.upkeep import entries_to_reconfirm_for
from newsletter.permissions import can_manage_newsletter
from referrals.permissions import (
    can_follow_overdue_referrals,
    can_list_teleexpertise_acts,
    can_manage_tariffs,
    can_see_dashboard,
    can_send_referrals,
    can_work_referral_inbox,
)
from referrals.selectors import referrals_overdue_in_territories
from snp.permissions import can_book_snp_slots, can_coordinate_snp, can_publish_snp_slots, can_see_snp_statistics
from snp.scope import snp_actor_for
from snp.selectors import recalls_to_do_count
from waitlist.permissions import (
    shows_waitlist_coordination,
    shows_waitlist_for_professionals,
    shows_waitlist_statistics,
)


def _signed_in(user) -> bool:
    return user.is_authenticated


@dataclass(frozen=True)
class TileCount:
    """What waits behind a dashboard tile ("4 en retard"): counted by the very selector the list it opens pages,
    so the tile and the list always say the same number."""

    count: Callable[..., int]
    label: Callable[[int], str]  # the number → "4 en retard"
    url_name: str
    query: str = ""


@dataclass(frozen=True)
class NavEntry:
    label: Promise
    url_name: str
    icon: str
    visible_to: Callable[..., bool]
    description: Promise | str = ""
    tile_count: TileCount | None = None


OVERDUE_TILE = TileCount(
    count=lambda user: referrals_overdue_in_territories(user).count(),
    label=lambda number: ngettext("%(count)d en retard", "%(count)d en retard", number) % {"count": number},
    url_name="referrals:coordination_overdue",
)
RECONFIRM_TILE = TileCount(
    count=lambda user: entries_to_reconfirm_for(user, period="six-mois").count(),
    label=lambda number: (
        ngettext("%(count)d fiche à reconfirmer", "%(count)d fiches à reconfirmer", number) % {"count": number}
    ),
    url_name="directory:upkeep_stale",
    query="anciennete=six-mois",
)

RECALL_TILE = TileCount(
    count=lambda user: recalls_to_do_count(snp_actor_for(user)),
    label=lambda number: (
        ngettext("%(count)d patient à rappeler", "%(count)d patients à rappeler", number) % {"count": number}
    ),
    url_name="snp:recalls",
)


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
        tile_count=OVERDUE_TILE,
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
        _("Mes créneaux SNP"),
        "snp:week",
        "calendar-week",
        can_publish_snp_slots,
        _("Publier vos créneaux de soins non programmés, choisir qui peut les réserver, saisir qui est venu."),
    ),
    NavEntry(
        _("Créneaux SNP à réserver"),
        "snp:board",
        "calendar-check",
        can_book_snp_slots,
        _("Les créneaux libres du territoire pour un patient à voir sous 24-48 h, et l'infirmier d'astreinte."),
    ),
    NavEntry(
        _("Rappels SNP"),
        "snp:recalls",
        "telephone-outbound",
        can_coordinate_snp,
        _("Les patients absents à leur consultation non programmée, à rappeler ; les créneaux non pourvus."),
        tile_count=RECALL_TILE,
    ),
    NavEntry(
        _("Statistiques SNP"),
        "snp:statistics",
        "graph-up",
        can_see_snp_statistics,
        _("Créneaux offerts et pourvus, appels et leur issue, absences : les chiffres du mois, sans patient."),
    ),
    NavEntry(
        _("Liste d'attente"),
        "waitlist:gp_home",
        "person-plus",
        shows_waitlist_for_professionals,
        _(
            "Médecin généraliste : dire combien de nouveaux patients vous pouvez prendre et les recevoir de la liste ; "
            "les autres : les médecins qui acceptent de nouveaux patients."
        ),
    ),
    NavEntry(
        _("Liste d'attente (coordination)"),
        "waitlist:coordination_queue",
        "person-heart",
        shows_waitlist_coordination,
        _("Les patients sans médecin traitant : la file, les priorités, les doublons, les reprises de patientèle."),
    ),
    NavEntry(
        _("Statistiques liste d'attente"),
        "waitlist:statistics",
        "pie-chart",
        shows_waitlist_statistics,
        _("Inscrits, patients accueillis et délais d'attente par commune et par priorité, sans patient."),
    ),
    NavEntry(
        _("Lettre d'information"),
        "newsletter:coordination_issues",
        "newspaper",
        can_manage_newsletter,
        _("Le numéro du mois : arrivées, départs et chiffres déjà rédigés, l'éditorial, l'agenda, les aperçus."),
    ),
    NavEntry(
        _("Abonnés à la lettre"),
        "newsletter:coordination_subscribers",
        "envelope",
        can_manage_newsletter,
        _("Les abonnés de la lettre d'information par édition, et l'import depuis un autre outil."),
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
        tile_count=RECONFIRM_TILE,
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
    """The menu: what the user may open (every page, from the context processor)."""
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


def dashboard_tiles(user) -> list[dict]:
    """The home page's tiles: the menu's entries, each with what waits behind it when it says so."""
    tiles = []
    for entry in NAVIGATION:
        if entry.url_name == "home" or not entry.visible_to(user):
            continue
        tile = {
            "label": entry.label,
            "url": reverse(entry.url_name),
            "icon": entry.icon,
            "description": entry.description,
        }
        if entry.tile_count is not None:
            number = entry.tile_count.count(user)
            url = reverse(entry.tile_count.url_name)
            tile["count"] = {
                "number": number,
                "label": entry.tile_count.label(number),
                "url": f"{url}?{entry.tile_count.query}" if entry.tile_count.query else url,
            }
        tiles.append(tile)
    return tiles
