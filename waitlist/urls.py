"""The waiting-list pages under /liste-attente/: the public sign-up and the patient's link, the GP's pledges and
proposals, the coordination, the statistics and the public report."""

app_name = "waitlist"

urlpatterns: list = []

# The GP's pledges and proposals; who accepts new patients (pharmacists, midwives, nurses, coordination).
from django.urls import path  # noqa: E402

from waitlist.views import gp as gp_views  # noqa: E402

urlpatterns += [
    path("medecin/", gp_views.gp_home, name="gp_home"),
    path("medecin/engagements/<uuid:public_id>/", gp_views.gp_pledge, name="gp_pledge"),
    path("medecin/engagements/<uuid:public_id>/tirage/", gp_views.gp_pledge_draw, name="gp_pledge_draw"),
    path("medecin/engagements/<uuid:public_id>/clore/", gp_views.gp_pledge_close, name="gp_pledge_close"),
    path("medecin/propositions/", gp_views.gp_proposals, name="gp_proposals"),
    path("medecin/propositions/<uuid:public_id>/", gp_views.gp_proposal, name="gp_proposal"),
    path("medecin/propositions/<uuid:public_id>/accepter/", gp_views.gp_proposal_accept, name="gp_proposal_accept"),
    path("medecin/propositions/<uuid:public_id>/refuser/", gp_views.gp_proposal_decline, name="gp_proposal_decline"),
    path("medecins-qui-acceptent/", gp_views.accepting_gps, name="accepting_gps"),
]
