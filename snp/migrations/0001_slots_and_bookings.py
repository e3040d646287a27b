"""Non-scheduled care: weekly patterns, slots, bookings, regulated calls, shared offers, the nurses' rota, tariffs."""

import django.contrib.postgres.constraints
from django.contrib.postgres.operations import BtreeGistExtension
import django.contrib.postgres.fields
import django.core.validators
import django.db.models.deletion
import snp.models
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('directory', '0013_practitioner_confirmation_link_version'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The overlap exclusion compares the practitioner (a btree type) inside a GiST index.
        BtreeGistExtension(),
        migrations.CreateModel(
            name='Slot',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('kind', models.CharField(choices=[('in_practice', 'Au cabinet'), ('home_visit', 'Visite à domicile'), ('teleconsultation', 'Téléconsultation'), ('assisted_teleconsultation', 'Téléconsultation assistée (infirmier au domicile)')], default='in_practice', max_length=30, verbose_name='type')),
                ('starts_at', models.DateTimeField(verbose_name='début')),
                ('ends_at', models.DateTimeField(verbose_name='fin')),
                ('audiences', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(choices=[('sas', 'SAS / 15'), ('116117', '116 117'), ('sos', 'SOS Médecins'), ('cpts_line', 'Ligne de la CPTS'), ('pharmacists', 'Pharmaciens'), ('nurses', 'Infirmiers'), ('gps', 'Médecins généralistes de la CPTS'), ('public', 'Patients (réservation directe)')], max_length=20), size=None, verbose_name='qui peut réserver')),
                ('status', models.CharField(choices=[('free', 'Libre'), ('booked', 'Réservé'), ('withdrawn', 'Retiré')], default='free', max_length=10, verbose_name='statut')),
                ('withdrawn_at', models.DateTimeField(blank=True, null=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('practitioner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='snp_slots', to='directory.practitioner')),
                ('site', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='snp_slots', to='directory.practice')),
                ('territory', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='snp_slots', to='directory.territory')),
            ],
            options={
                'verbose_name': 'créneau',
                'verbose_name_plural': 'créneaux',
                'ordering': ['starts_at'],
            },
        ),
        migrations.CreateModel(
            name='Booking',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('status', models.CharField(choices=[('booked', 'Réservé'), ('cancelled', 'Annulé'), ('honoured', 'Honoré'), ('no_show', 'Patient absent')], default='booked', max_length=10, verbose_name='statut')),
                ('audience', models.CharField(choices=[('sas', 'SAS / 15'), ('116117', '116 117'), ('sos', 'SOS Médecins'), ('cpts_line', 'Ligne de la CPTS'), ('pharmacists', 'Pharmaciens'), ('nurses', 'Infirmiers'), ('gps', 'Médecins généralistes de la CPTS'), ('public', 'Patients (réservation directe)')], max_length=20, verbose_name='réservé par')),
                ('patient_family_name', models.CharField(max_length=150, verbose_name='nom')),
                ('patient_given_names', models.CharField(max_length=150, verbose_name='prénoms')),
                ('patient_birth_date', models.DateField(verbose_name='date de naissance')),
                ('patient_sex', models.CharField(choices=[('F', 'Femme'), ('M', 'Homme'), ('X', 'Autre ou non précisé')], max_length=1, verbose_name='sexe')),
                ('patient_phone', models.CharField(blank=True, max_length=20, verbose_name='téléphone')),
                ('patient_email', models.EmailField(blank=True, max_length=254, verbose_name='e-mail')),
                ('has_gp', models.BooleanField(verbose_name='a un médecin traitant')),
                ('reason_category', models.CharField(choices=[('fever_infection', 'Fièvre, infection'), ('pain', 'Douleur'), ('injury', 'Traumatisme léger, plaie'), ('skin', 'Peau'), ('respiratory', 'Respiratoire'), ('digestive', 'Digestif'), ('urinary', 'Urinaire'), ('prescription', 'Renouvellement urgent, certificat'), ('child', 'Enfant'), ('other', 'Autre')], max_length=20, verbose_name='motif (catégorie)')),
                ('contact_consent', models.BooleanField(default=False, verbose_name="accepte d'être contacté (SMS, e-mail)")),
                ('link_version', models.PositiveIntegerField(default=1)),
                ('reminder_sent_at', models.DateTimeField(blank=True, null=True)),
                ('cancelled_at', models.DateTimeField(blank=True, null=True)),
                ('cancelled_by', models.CharField(blank=True, choices=[('practice', 'le cabinet'), ('booker', 'la régulation'), ('patient', 'le patient')], max_length=10)),
                ('cancel_reason', models.CharField(blank=True, max_length=300, verbose_name="motif d'annulation")),
                ('outcome_at', models.DateTimeField(blank=True, null=True)),
                ('note_for_gp', models.TextField(blank=True, max_length=1000, verbose_name='mot pour le médecin traitant')),
                ('recall', models.CharField(blank=True, choices=[('to_do', 'À rappeler'), ('done', 'Rappelé'), ('unreachable', 'Injoignable')], max_length=12, verbose_name='rappel')),
                ('booked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='snp_bookings', to=settings.AUTH_USER_MODEL)),
                ('gp_practitioner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='directory.practitioner', verbose_name='médecin')),
                ('outcome_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('patient_commune', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='directory.commune', verbose_name='commune')),
                ('slot', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='bookings', to='snp.slot')),
            ],
            options={
                'verbose_name': 'réservation',
                'verbose_name_plural': 'réservations',
            },
        ),
        migrations.CreateModel(
            name='SlotPattern',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('kind', models.CharField(choices=[('in_practice', 'Au cabinet'), ('home_visit', 'Visite à domicile'), ('teleconsultation', 'Téléconsultation'), ('assisted_teleconsultation', 'Téléconsultation assistée (infirmier au domicile)')], default='in_practice', max_length=30, verbose_name='type')),
                ('weekdays', django.contrib.postgres.fields.ArrayField(base_field=models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(7)]), size=None, verbose_name='jours')),
                ('times', django.contrib.postgres.fields.ArrayField(base_field=models.TimeField(), size=None, verbose_name='heures')),
                ('duration_minutes', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(5), django.core.validators.MaxValueValidator(240)], verbose_name='durée (minutes)')),
                ('audiences', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(choices=[('sas', 'SAS / 15'), ('116117', '116 117'), ('sos', 'SOS Médecins'), ('cpts_line', 'Ligne de la CPTS'), ('pharmacists', 'Pharmaciens'), ('nurses', 'Infirmiers'), ('gps', 'Médecins généralistes de la CPTS'), ('public', 'Patients (réservation directe)')], max_length=20), size=None, verbose_name='qui peut réserver')),
                ('starts_on', models.DateField(verbose_name='à partir du')),
                ('ends_on', models.DateField(verbose_name="jusqu'au")),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('expanded_until', models.DateField(blank=True, null=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('practitioner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='snp_patterns', to='directory.practitioner')),
                ('site', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='snp_patterns', to='directory.practice')),
            ],
            options={
                'verbose_name': 'série de créneaux',
                'verbose_name_plural': 'séries de créneaux',
            },
        ),
        migrations.AddField(
            model_name='slot',
            name='pattern',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='slots', to='snp.slotpattern'),
        ),
        migrations.CreateModel(
            name='UnfilledSlotTariff',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('valid_from', models.DateField(verbose_name='à partir du')),
                ('amount_cents', models.PositiveIntegerField(verbose_name='montant par créneau non pourvu (centimes)')),
                ('territory', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='snp_tariffs', to='directory.territory')),
            ],
            options={
                'verbose_name': 'tarif des créneaux non pourvus',
                'verbose_name_plural': 'tarifs des créneaux non pourvus',
                'ordering': ['-valid_from'],
            },
        ),
        migrations.CreateModel(
            name='NurseOnCall',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('starts_at', models.DateTimeField(verbose_name='début')),
                ('ends_at', models.DateTimeField(verbose_name='fin')),
                ('communes', models.ManyToManyField(related_name='+', to='directory.commune', verbose_name='communes couvertes')),
                ('nurse', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='snp_on_call', to='directory.practitioner')),
                ('territory', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='snp_nurse_rota', to='directory.territory')),
            ],
            options={
                'verbose_name': 'astreinte infirmière',
                'verbose_name_plural': 'astreintes infirmières',
                'ordering': ['starts_at'],
                'constraints': [models.CheckConstraint(condition=models.Q(('ends_at__gt', models.F('starts_at'))), name='snp_on_call_ends_after_start')],
            },
        ),
        migrations.CreateModel(
            name='RegulatedCall',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('audience', models.CharField(choices=[('sas', 'SAS / 15'), ('116117', '116 117'), ('sos', 'SOS Médecins'), ('cpts_line', 'Ligne de la CPTS'), ('pharmacists', 'Pharmaciens'), ('nurses', 'Infirmiers'), ('gps', 'Médecins généralistes de la CPTS'), ('public', 'Patients (réservation directe)')], max_length=20, verbose_name='service')),
                ('outcome', models.CharField(choices=[('booked', 'Créneau réservé'), ('advice', 'Conseil'), ('emergency', 'Orienté vers les urgences'), ('on_call', 'Orienté vers le médecin de garde'), ('no_slot', 'Aucun créneau disponible')], max_length=12, verbose_name='issue')),
                ('reason_category', models.CharField(blank=True, choices=[('fever_infection', 'Fièvre, infection'), ('pain', 'Douleur'), ('injury', 'Traumatisme léger, plaie'), ('skin', 'Peau'), ('respiratory', 'Respiratoire'), ('digestive', 'Digestif'), ('urinary', 'Urinaire'), ('prescription', 'Renouvellement urgent, certificat'), ('child', 'Enfant'), ('other', 'Autre')], max_length=20)),
                ('received_at', models.DateTimeField(verbose_name='reçu le')),
                ('booking', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='call', to='snp.booking')),
                ('commune', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='directory.commune')),
                ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('territory', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='snp_calls', to='directory.territory')),
            ],
            options={
                'verbose_name': 'appel régulé',
                'verbose_name_plural': 'appels régulés',
                'indexes': [models.Index(fields=['territory', 'received_at'], name='snp_call_territory_day')],
            },
        ),
        migrations.CreateModel(
            name='SharedOffer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('shares_with', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='snp_shared_by', to='directory.territory')),
                ('territory', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='snp_shared_with', to='directory.territory')),
            ],
            options={
                'verbose_name': 'offre partagée avec un territoire voisin',
                'verbose_name_plural': 'offres partagées avec des territoires voisins',
                'constraints': [models.UniqueConstraint(fields=('territory', 'shares_with'), name='snp_shared_offer_unique'), models.CheckConstraint(condition=models.Q(('territory', models.F('shares_with')), _negated=True), name='snp_shared_offer_other')],
            },
        ),
        migrations.AddConstraint(
            model_name='booking',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'cancelled'), _negated=True), fields=('slot',), name='snp_booking_one_live_per_slot'),
        ),
        migrations.AddConstraint(
            model_name='slotpattern',
            constraint=models.CheckConstraint(condition=models.Q(('ends_on__gte', models.F('starts_on'))), name='snp_pattern_dates_order'),
        ),
        migrations.AddConstraint(
            model_name='slotpattern',
            constraint=models.CheckConstraint(condition=models.Q(('duration_minutes__gte', 5), ('duration_minutes__lte', 240)), name='snp_pattern_duration_range'),
        ),
        migrations.AddIndex(
            model_name='slot',
            index=models.Index(condition=models.Q(('status', 'free')), fields=['territory', 'starts_at'], name='snp_slot_board'),
        ),
        migrations.AddIndex(
            model_name='slot',
            index=models.Index(fields=['practitioner', 'starts_at'], name='snp_slot_practitioner_week'),
        ),
        migrations.AddConstraint(
            model_name='slot',
            constraint=models.CheckConstraint(condition=models.Q(('ends_at__gt', models.F('starts_at'))), name='snp_slot_ends_after_start'),
        ),
        migrations.AddConstraint(
            model_name='slot',
            constraint=models.CheckConstraint(condition=models.Q(('audiences', []), _negated=True), name='snp_slot_has_audience'),
        ),
        migrations.AddConstraint(
            model_name='slot',
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(condition=models.Q(('status', 'withdrawn'), _negated=True), expressions=[('practitioner', '='), (snp.models.TsTzRange('starts_at', 'ends_at'), '&&')], name='snp_slot_no_overlap'),
        ),
        migrations.AddConstraint(
            model_name='slot',
            constraint=models.UniqueConstraint(fields=('pattern', 'starts_at'), name='snp_slot_unique_per_pattern'),
        ),
        migrations.AddConstraint(
            model_name='unfilledslottariff',
            constraint=models.UniqueConstraint(fields=('territory', 'valid_from'), name='snp_tariff_unique_date'),
        ),
    ]
