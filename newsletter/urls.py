"""The newsletter's pages under /lettre/."""

from django.urls import path

from newsletter import subscriber_views
from newsletter.views import coordination as c
from newsletter.views import public
from newsletter.views import sending as s

app_name = "newsletter"

urlpatterns = [
    # Subscribers: subscribing, the links of the e-mails, the account toggle, the coordinator's list and import.
    path("abonnement/", subscriber_views.subscribe, name="subscribe"),
    path("abonnement/envoye/", subscriber_views.subscribe_sent, name="subscribe_sent"),
    path("abonnement/confirmer/<str:token>/", subscriber_views.confirm, name="confirm"),
    path("desinscription/<str:token>/", subscriber_views.unsubscribe, name="unsubscribe"),
    path("abonnement/gerer/<str:token>/", subscriber_views.manage, name="manage"),
    path("abonnement/gerer/<str:token>/export/", subscriber_views.manage_export, name="manage_export"),
    path("abonnement/gerer/<str:token>/effacer/", subscriber_views.manage_erase, name="manage_erase"),
    path("compte/", subscriber_views.account_subscription, name="account_subscription"),
    path("coordination/abonnes/", subscriber_views.coordination_subscribers, name="coordination_subscribers"),
    path("coordination/abonnes/import/", subscriber_views.coordination_import, name="coordination_import"),
    # The public archive, its feed and PDFs; the coordinator's issues, items and previews.
    path("", public.archive, name="archive"),
    path("feed.atom", public.feed, name="feed"),
    path("numeros/<uuid:public_id>/", public.issue_public, name="issue_public"),
    path("numeros/<uuid:public_id>/pdf/", public.issue_pdf, name="issue_pdf"),
    path("professionnels/", public.professional_archive_page, name="professional_archive"),
    path("professionnels/<uuid:public_id>/", public.professional_issue_page, name="professional_issue"),
    path("professionnels/<uuid:public_id>/pdf/", public.professional_issue_pdf, name="professional_issue_pdf"),
    path("coordination/", c.coordination_issues, name="coordination_issues"),
    path("coordination/<uuid:public_id>/", c.coordination_issue, name="coordination_issue"),
    path(
        "coordination/<uuid:public_id>/elements/",
        c.coordination_item_create,
        name="coordination_item_create",
    ),
    path(
        "coordination/<uuid:public_id>/elements/<int:item_id>/",
        c.coordination_item,
        name="coordination_item",
    ),
    path(
        "coordination/<uuid:public_id>/elements/<int:item_id>/ordre/",
        c.coordination_item_move,
        name="coordination_item_move",
    ),
    path(
        "coordination/<uuid:public_id>/images/",
        c.coordination_image_upload,
        name="coordination_image_upload",
    ),
    path("coordination/<uuid:public_id>/envoi/", s.coordination_send, name="coordination_send"),
    path("coordination/<uuid:public_id>/progression/", s.coordination_progress, name="coordination_progress"),
    path("coordination/<uuid:public_id>/envois/", s.coordination_deliveries, name="coordination_deliveries"),
    path("coordination/<uuid:public_id>/apercu/", c.coordination_preview, name="coordination_preview"),
    path(
        "coordination/<uuid:public_id>/apercu.pdf",
        c.coordination_preview_pdf,
        name="coordination_preview_pdf",
    ),
]
