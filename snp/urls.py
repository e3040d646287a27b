"""The SNP pages under /soins-non-programmes/."""

from django.urls import path, re_path

from snp.views import board, bookings, coordination, patient, public, week

app_name = "snp"

urlpatterns = [
    path("pres-de-chez-vous/", public.public_offer, name="public_offer"),
    path("pres-de-chez-vous/<uuid:public_id>/reserver/", public.public_booking, name="public_booking"),
    path("annuler/<str:token>/", patient.booking_cancel_link, name="booking_cancel_link"),
    path("reservations/<uuid:public_id>/", bookings.booking_detail, name="booking_detail"),
    path("creneaux/", board.board, name="board"),
    path("creneaux/<uuid:public_id>/reserver/", board.booking_new, name="booking_new"),
    path("reservations/", board.booking_list, name="booking_list"),
    path("reservations/<uuid:public_id>/confirmation/", board.booking_confirmed, name="booking_confirmed"),
    path("appels/nouveau/", board.call_new, name="call_new"),
    path("semaine/", week.week, name="week"),
    path("semaine/publier/", week.slot_publish, name="week_slot_publish"),
    path("semaine/serie/", week.pattern_create, name="week_pattern_create"),
    path("semaine/creneaux/<uuid:public_id>/retirer/", week.slot_withdraw, name="week_slot_withdraw"),
    path("semaine/reservations/<uuid:public_id>/annuler/", week.booking_cancel, name="week_booking_cancel"),
    path("semaine/reservations/<uuid:public_id>/resultat/", week.booking_outcome, name="week_booking_outcome"),
    path("semaine/agenda/creer/", week.calendar_feed_create, name="week_calendar_feed_create"),
    path("semaine/agenda/revoquer/", week.calendar_feed_revoke, name="week_calendar_feed_revoke"),
    path("semaine/agenda/noms/", week.calendar_feed_names, name="week_calendar_feed_names"),
    path("agenda/<str:token>.ics", week.calendar_feed, name="calendar_feed"),
    # The coordinator's pages: recalls, unfilled slots and their tariffs, shared offer; the statistics.
    path("coordination/rappels/", coordination.recalls, name="recalls"),
    path("coordination/rappels/<uuid:public_id>/", coordination.recall_record, name="recall_record"),
    path("coordination/creneaux-non-pourvus/", coordination.unfilled_report, name="unfilled_report"),
    re_path(
        r"^coordination/creneaux-non-pourvus/(?P<year>\d{4})-(?P<month>\d{2})\.csv$",
        coordination.unfilled_report_csv,
        name="unfilled_report_csv",
    ),
    re_path(
        r"^coordination/creneaux-non-pourvus/(?P<year>\d{4})-(?P<month>\d{2})\.xlsx$",
        coordination.unfilled_report_xlsx,
        name="unfilled_report_xlsx",
    ),
    path("coordination/tarifs-creneaux-non-pourvus/", coordination.unfilled_tariffs, name="unfilled_tariffs"),
    path("coordination/territoires-voisins/", coordination.shared_offers, name="shared_offers"),
    path("coordination/territoires-voisins/retirer/", coordination.shared_offer_remove, name="shared_offer_remove"),
    path("coordination/astreintes-infirmieres/", coordination.nurse_rota, name="nurse_rota"),
    path(
        "coordination/astreintes-infirmieres/<uuid:public_id>/retirer/",
        coordination.nurse_rota_remove,
        name="nurse_rota_remove",
    ),
    path("statistiques/", coordination.statistics, name="statistics"),
]
