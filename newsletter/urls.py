"""The newsletter's pages under /lettre/."""

from django.urls import path

from newsletter import subscriber_views

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
]
