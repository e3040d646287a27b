"""``signup_*``: a burst of concurrent public sign-ups over HTTP, on loopback, to a real server this benchmark
starts (Django's WSGI server, a pool of worker threads each with its own database connection, as a threaded
gunicorn worker), throttling off for the measure (``WAITLIST_SIGNUP_RATE = None``).

The configured database is never written: a throwaway database (``<name>_bench_wl_signup``) is created and
migrated, and dropped afterwards.

Figures:
- ``signup_burst_saved``: of ``BURST`` (200) clients posting ``POST /api/v1/waitlist/signups/`` at the same instant,
  the sign-ups saved (each client its own person and phone): all of them;
- ``signup_burst_duplicates``: entries saved beyond one per client: none;
- ``signup_burst_errors``: answers other than 201: none;
- ``signup_burst_rate``: sign-ups per second over the burst (the slowest client's answer included);
- ``signup_burst_verified``: the same clients then type their code at once: every entry waiting.
"""

import http.client
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.db import connections
from django.test import override_settings

from core.benchmarks import at_least, at_most, figure
from directory.benchmarks.databases import throwaway_database
from directory.models import Commune, Territory
from notifications.models import OutboundMessage
from waitlist.models import Entry, HouseholdMember
from waitlist.services.common import waiting_list_of_territory

BURST = 200
SERVER_WORKERS = 8
BENCH_DATABASE_SUFFIX = "_bench_wl_signup"
COMMUNE_INSEE = "85191"  # La Roche-sur-Yon
FAMILY_NAME = "Rafale"
# A CPTS took 3,800 sign-ups in a few weeks: a few hundred on the first evening, when the local paper printed the
# link. 20 a second on one server of two cores (the 200 answered in 10 s) is far above that evening's peak; a
# rate under it would mean a lock or a query per row had appeared.
RATE_TARGET = 20
TIMEOUT_S = 120


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class _PooledWSGIServer(WSGIServer):
    """Django's WSGI server with a bounded pool of worker threads instead of a thread per request: 200 clients at
    once must not open 200 database connections. The backlog holds the clients waiting for a worker."""

    request_queue_size = BURST * 2

    def __init__(self, *args, workers: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="signup-bench")

    def process_request(self, request, client_address):
        self.pool.submit(self._handle, request, client_address)

    def _handle(self, request, client_address):
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def server_close(self):
        super().server_close()
        self.pool.shutdown(wait=True)


class _Server:
    """The portal on 127.0.0.1 (a free port) for the time of the block."""

    def __enter__(self):
        self.server = _PooledWSGIServer(("127.0.0.1", 0), _QuietHandler, workers=SERVER_WORKERS)
        self.server.set_app(WSGIHandler())
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.pool.submit(connections.close_all)
        self.server.server_close()
        self.thread.join()


def _post(port: int, path: str, body: dict) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    try:
        connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _burst(clients: int, work) -> tuple[float, list]:
    """``work(index)`` in ``clients`` threads released at once; (seconds until the last answer, the answers)."""
    barrier = threading.Barrier(clients)
    answers: list = [None] * clients

    def run(index):
        barrier.wait()
        try:
            answers[index] = work(index)
        except Exception as error:  # counted as a refused answer
            answers[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, answers


def _phone(index: int) -> str:
    return f"+3361{index:07d}"


def _signup_body(index: int, run: str) -> dict:
    return {
        "family_name": f"{FAMILY_NAME}{run}{index}",
        "given_names": "Camille",
        "birth_date": f"19{50 + index % 50:02d}-0{1 + index % 9}-1{index % 10}",
        "sex": "F" if index % 2 else "M",
        "commune": COMMUNE_INSEE,
        "phone": _phone(index),
        "situation": "gp_retired",
        "ald": index % 3 == 0,
        "max_distance_km": 15,
        "consent": True,
    }


def burst_figures(clients: int = BURST) -> Iterator[dict]:
    run = uuid.uuid4().hex[:6]
    territory = Territory.objects.create(name="CPTS de la rafale", slug=f"rafale-{run}")
    territory.communes.add(Commune.objects.get(insee_code=COMMUNE_INSEE))
    waiting_list_of_territory(territory)
    with _Server() as server:
        elapsed, answers = _burst(
            clients, lambda index: _post(server.port, "/api/v1/waitlist/signups/", _signup_body(index, run))
        )
        per_client = Counter(
            HouseholdMember.objects.filter(position=0, family_name__startswith=f"{FAMILY_NAME}{run}").values_list(
                "family_name", flat=True
            )
        )
        saved = len(per_client)
        yield figure(
            "signup_burst_saved", saved, f"inscriptions enregistrées sur {clients} envoyées", at_least(clients)
        )
        yield figure(
            "signup_burst_duplicates",
            sum(count - 1 for count in per_client.values()),
            "inscriptions en double",
            at_most(0),
        )
        yield figure(
            "signup_burst_errors", sum(answer != 201 for answer in answers), "réponses autres que 201", at_most(0)
        )
        yield figure(
            "signup_burst_rate", saved / elapsed, f"inscriptions/s ({clients} clients à la fois)", at_least(RATE_TARGET)
        )

        ids = dict(
            Entry.objects.filter(
                members__position=0, members__family_name__startswith=f"{FAMILY_NAME}{run}"
            ).values_list("phone", "public_id")
        )
        codes = {
            message.recipient: message.context["code"]
            for message in OutboundMessage.objects.filter(template="verification_code", recipient__in=list(ids))
        }

        def verify(index):
            phone = _phone(index)
            return _post(server.port, f"/api/v1/waitlist/signups/{ids[phone]}/verify/", {"code": codes[phone]})

        verify_elapsed, _answers = _burst(saved, verify) if saved == clients else (None, [])
        waiting = Entry.objects.filter(
            status=Entry.Status.WAITING, members__position=0, members__family_name__startswith=f"{FAMILY_NAME}{run}"
        ).count()
        yield figure(
            "signup_burst_verified", waiting, f"inscriptions en attente après le code ({clients})", at_least(clients)
        )
        if verify_elapsed:
            yield figure("signup_verify_rate", waiting / verify_elapsed, "codes vérifiés/s", None)


def figures(scale: int | None = None, *, burst: int = BURST) -> Iterator[dict]:
    """``scale`` is the draw's (entries in the queue); the burst is ``burst`` clients whatever the scale."""
    quiet = override_settings(
        WAITLIST_SIGNUP_RATE=None,
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "127.0.0.1"],
        SECURE_SSL_REDIRECT=False,  # plain HTTP on loopback, even with the production settings
    )
    with throwaway_database(BENCH_DATABASE_SUFFIX), quiet:
        yield from burst_figures(burst)
