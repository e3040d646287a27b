"""The waiting-list pages under /liste-attente/: the public sign-up and the patient's link, the GP's pledges and
proposals, the coordination, the statistics and the public report."""

app_name = "waitlist"

urlpatterns: list = []

# --- The coordination: queue, entries, rules, duplicates, handover plans (waitlist.views.coordination, .handover)
from django.urls import path  # noqa: E402

from waitlist.views import coordination as coordination_views  # noqa: E402
from waitlist.views import handover as handover_views  # noqa: E402

urlpatterns += [
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
]
