"""Page routes to work a request: attachments, forward, convert, sent outside the portal. The project mounts them
inside the "referrals" namespace under ``demandes/``; names start with ``attachment_`` or ``handling_``."""

from django.urls import path

from referrals import views_handling as views

urlpatterns = [
    path("<uuid:public_id>/pieces/", views.attachment_list, name="attachment_list"),
    path("<uuid:public_id>/pieces/<uuid:attachment_id>/", views.attachment_download, name="attachment_download"),
    path("<uuid:public_id>/transferer/", views.handling_forward, name="handling_forward"),
    path("<uuid:public_id>/convertir/", views.handling_convert, name="handling_convert"),
    path("<uuid:public_id>/hors-portail/", views.handling_sent_outside, name="handling_sent_outside"),
    path("<uuid:public_id>/hors-portail/statut/", views.handling_outside_status, name="handling_outside_status"),
]
