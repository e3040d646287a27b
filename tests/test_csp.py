"""The Content-Security-Policy: on every page, fragment, API answer and static file; nothing inline to allow."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from core.csp import HEADER

STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def directives(response) -> dict[str, str]:
    header = response.headers[HEADER]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/annuaire/",
        "/annuaire/?q=cardio",
        "/accounts/login/",
        "/admin/login/",
        "/api/schema/",
        "/api/v1/me/",
        "/page-qui-n-existe-pas/",
    ],
)
def test_every_answer_carries_the_strict_policy(client, db, path):
    response = client.get(path)

    assert directives(response) == STRICT
    assert "unsafe" not in response.headers[HEADER]


def test_an_htmx_fragment_carries_the_policy(client, db):
    response = client.get("/annuaire/", {"q": "cardio"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert directives(response) == STRICT


def test_pages_of_a_signed_in_coordinator_carry_the_policy(signed_in, coordinator):
    response = signed_in(coordinator).get(reverse("notifications:outbox"))

    assert directives(response) == STRICT


def test_htmx_is_told_not_to_evaluate_strings_nor_inject_styles(client, db):
    html = client.get("/annuaire/").content.decode()
    config = json.loads(re.search(r"""<meta name="htmx-config" content='([^']*)'>""", html).group(1))

    assert config["allowEval"] is False
    assert config["includeIndicatorStyles"] is False


def test_api_docs_start_swagger_from_a_file_and_allow_only_inline_styles(client, db):
    response = client.get("/api/docs/")

    assert directives(response) == {**STRICT, "style-src": "'self' 'unsafe-inline'"}
    html = response.content.decode()

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


# Served pages only: e-mails are not pages (their inline styles are what mail clients need), nor are the letter, the
# appointment slip and the written answer, which WeasyPrint turns into PDFs; nor the newsletter's e-mail and PDF (its
# preview page shows the e-mail in a sandboxed srcdoc, under a policy loosened for styles on that page only).
NOT_SERVED = re.compile(
    r"notifications/email/|referrals/(letter|appointment_slip|written_answer)\.html$|newsletter/render/(email|pdf)\.html$"
)
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\b(src=|type=\"application/json\"))[^>]*>", re.I),
    "inline handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "hx-on handler": re.compile(r"\shx-on[:-]", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "style element": re.compile(r"<style\b", re.I),
    "trigger filter (eval)": re.compile(r"hx-trigger=\"[^\"]*\w\[", re.I),
    "javascript: link": re.compile(r"javascript:", re.I),
}


def served_templates():
    base = Path(settings.BASE_DIR)
    for path in sorted([*base.glob("templates/**/*.html"), *base.glob("*/templates/**/*.html")]):
        relative = path.relative_to(base).as_posix()
        if not NOT_SERVED.search(relative):
            yield relative, path.read_text(encoding="utf-8")


def test_no_template_holds_code_or_styles_the_policy_would_block():
    found = [
        f"{relative}: {what}"
        for relative, text in served_templates()
        for what, pattern in INLINE.items()
        if pattern.search(text)
    ]

    assert found == []
