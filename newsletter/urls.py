"""The newsletter's pages under /lettre/."""

from django.urls import path

from newsletter.views import coordination as c
from newsletter.views import public

app_name = "newsletter"

urlpatterns = [
    path("", public.archive, name="archive"),
    path("feed.atom", public.feed, name="feed"),
    path("numeros/<uuid:public_id>/", public.issue_public, name="issue_public"),
    path("numeros/<uuid:public_id>/pdf/", public.issue_pdf, name="issue_pdf"),
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
    path("coordination/<uuid:public_id>/apercu/", c.coordination_preview, name="coordination_preview"),
    path(
        "coordination/<uuid:public_id>/apercu.pdf",
        c.coordination_preview_pdf,
        name="coordination_preview_pdf",
    ),
]
