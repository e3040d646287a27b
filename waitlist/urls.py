"""The waiting-list pages under /liste-attente/: the public sign-up and the patient's link, the GP's pledges and
proposals, the coordination, the statistics and the public report."""

from django.urls import path

from waitlist import statistics_views
from waitlist.views import coordination as coordination_views
from waitlist.views import erasure as erasure_views
from waitlist.views import gp as gp_views
from waitlist.views import handover as handover_views
from waitlist.views import patient as patient_views
from waitlist.views import signup as signup_views

app_name = "waitlist"

urlpatterns = [
    # The public sign-up and its code step.
    path("", signup_views.signup, name="signup"),
    path("code/<str:token>/", signup_views.signup_verify, name="signup_verify"),
    path("code/<str:token>/renvoyer/", signup_views.signup_resend, name="signup_resend"),
    path("inscription-enregistree/", signup_views.signup_done, name="signup_done"),
    # The patient's link (status, update, withdraw, erase, re-confirm) and the lost link.
    path("suivi/<str:token>/", patient_views.follow, name="follow"),
    path("suivi/<str:token>/modifier/", patient_views.follow_update, name="follow_update"),
    path("suivi/<str:token>/code/", patient_views.follow_contact_confirm, name="follow_contact_confirm"),
    path("suivi/<str:token>/retirer/", patient_views.follow_withdraw, name="follow_withdraw"),
    path("suivi/<str:token>/effacer/", patient_views.follow_erase, name="follow_erase"),
    path("suivi/<str:token>/confirmer/", patient_views.follow_confirm, name="follow_confirm"),
    path("lien-perdu/", patient_views.link_resend, name="link_resend"),
    # The GP's pledges and proposals; who accepts new patients (pharmacists, midwives, nurses, coordination).
    path("medecin/", gp_views.gp_home, name="gp_home"),
    path("medecin/engagements/<uuid:public_id>/", gp_views.gp_pledge, name="gp_pledge"),
    path("medecin/engagements/<uuid:public_id>/tirage/", gp_views.gp_pledge_draw, name="gp_pledge_draw"),
    path("medecin/engagements/<uuid:public_id>/clore/", gp_views.gp_pledge_close, name="gp_pledge_close"),
    path("medecin/propositions/", gp_views.gp_proposals, name="gp_proposals"),
    path("medecin/propositions/<uuid:public_id>/", gp_views.gp_proposal, name="gp_proposal"),
    path("medecin/propositions/<uuid:public_id>/accepter/", gp_views.gp_proposal_accept, name="gp_proposal_accept"),
    path("medecin/propositions/<uuid:public_id>/refuser/", gp_views.gp_proposal_decline, name="gp_proposal_decline"),
    path("medecins-qui-acceptent/", gp_views.accepting_gps, name="accepting_gps"),
    # Statistics, the public monthly report, the coordinator's aggregated exports.
    path("rapport/", statistics_views.public_report_page, name="public_report"),
    path("statistiques/", statistics_views.statistics, name="statistics"),
    path("statistiques/export/", statistics_views.statistics_export, name="statistics_export"),
    # The coordination: queue, entries, rules, duplicates, handover plans.
    path("coordination/", coordination_views.queue, name="coordination_queue"),
    path("coordination/inscriptions/<uuid:public_id>/", coordination_views.entry_detail, name="coordination_entry"),
    path(
        "coordination/inscriptions/<uuid:public_id>/niveau/",
        coordination_views.entry_override,
        name="coordination_entry_override",
    ),
    path(
        "coordination/inscriptions/<uuid:public_id>/note/",
        coordination_views.entry_note,
        name="coordination_entry_note",
    ),
    path("coordination/regles/", coordination_views.rules, name="coordination_rules"),
    path("coordination/doublons/", coordination_views.duplicates, name="coordination_duplicates"),
    path("coordination/doublons/fusionner/", coordination_views.duplicate_merge, name="coordination_duplicate_merge"),
    path("coordination/doublons/ecarter/", coordination_views.duplicate_dismiss, name="coordination_duplicate_dismiss"),
    path("coordination/reprises/", handover_views.plan_list, name="coordination_handover_list"),
    path("coordination/reprises/nouveau/", handover_views.plan_new, name="coordination_handover_new"),
    path("coordination/reprises/<uuid:public_id>/", handover_views.plan_detail, name="coordination_handover_detail"),
    path(
        "coordination/reprises/<uuid:public_id>/repartir/",
        handover_views.plan_spread,
        name="coordination_handover_spread",
    ),
    path(
        "coordination/reprises/<uuid:public_id>/proposer/",
        handover_views.plan_propose,
        name="coordination_handover_propose",
    ),
    path(
        "coordination/reprises/<uuid:public_id>/patients/",
        handover_views.plan_import,
        name="coordination_handover_import",
    ),
    path(
        "coordination/inscriptions/<uuid:public_id>/effacer/",
        erasure_views.coordination_entry_erase,
        name="coordination_entry_erase",
    ),
]
