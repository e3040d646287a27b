# The draw reads the list's waiting entries in the queue's order (see Entry.Meta.indexes).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('waitlist', '0003_coordination'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='entry',
            index=models.Index(models.F('waiting_list'), models.OrderBy(models.F('priority_level'), descending=True), models.F('waiting_since'), models.F('id'), condition=models.Q(('status', 'waiting')), name='waitlist_entry_queue'),
        ),
    ]
