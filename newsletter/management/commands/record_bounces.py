"""``python manage.py record_bounces [FILE …]``: the delivery status notifications (RFC 3464) the mail server
sent back, one message per file, a whole mbox with ``--mbox``, or one message on standard input (the mail
server's pipe: ``bounces: "|/srv/cpts/.venv/bin/python /srv/cpts/manage.py record_bounces"``). A permanent
failure (5.x.x) is a hard bounce: the address receives nothing more; a temporary one is counted. A message that
is not such a report is ignored (exit 0, so the mail server does not bounce the bounce)."""

import mailbox
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from newsletter.bounces import read_bounce_report
from newsletter.models import Bounce
from newsletter.services.sending import bounce_record


class Command(BaseCommand):
    help = "Enregistre les retours en erreur (avis de non-remise) renvoyés par le serveur de messagerie."

    def add_arguments(self, parser):
        parser.add_argument(
            "files", nargs="*", type=Path, help="Un avis par fichier (.eml) ; rien : l'entrée standard."
        )
        parser.add_argument("--mbox", type=Path, help="Une boîte mbox d'avis de non-remise.")

    def handle(self, *args, files, mbox, **options):
        messages = []
        try:
            if mbox:
                messages.extend(message.as_bytes() for message in mailbox.mbox(mbox))
            messages.extend(path.read_bytes() for path in files)
        except OSError as error:
            raise CommandError(f"Lecture impossible : {error}") from None
        if not mbox and not files:
            messages.append(sys.stdin.buffer.read())
        hard = soft = unknown = 0
        for raw in messages:
            for report in read_bounce_report(raw):
                bounce = bounce_record(
                    message_public_id=report.message_public_id,
                    email=report.recipient,
                    kind=Bounce.Kind.HARD if report.hard else Bounce.Kind.SOFT,
                    detail=f"{report.status} {report.diagnostic}".strip(),
                )
                if bounce is None:
                    unknown += 1
                elif report.hard:
                    hard += 1
                else:
                    soft += 1
        self.stdout.write(
            f"{hard} retour(s) définitif(s), {soft} temporaire(s), {unknown} adresse(s) inconnue(s) de la lettre."
        )
