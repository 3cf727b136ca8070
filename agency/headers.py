"""Security headers on every response: pages, error pages, the API and static files alike.

The Content-Security-Policy lets a page run and style only what the platform serves itself: no
inline script (what a page does lives in static/*.js, wired by data- attributes), no inline style
(widths and other one-off styles are classes of static/amiable.css; charts set their geometry as SVG
attributes), and no framing of our pages by any site. A script injected into a page, through a
debtor's name or a placed file, would therefore not run.
"""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # Bootstrap draws its select arrows and close buttons as data: SVG
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# Chrome shows a PDF (a letter, a receipt) in a page of its own making, styled inline and drawn by a plugin:
# under the pages' policy it would stay blank. A PDF runs none of our code; it only stays out of frames.
PDF_POLICY = "frame-ancestors 'none'"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Case pages' addresses name cases: other sites learn nothing of where a link was followed from.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors, for browsers that do not read it
}
# Sent only over HTTPS (a browser ignores it otherwise); a year, the usual minimum for preload lists.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    """Add the headers to every response, including those of the error handlers."""
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    policy = PDF_POLICY if response.mimetype == "application/pdf" else CONTENT_SECURITY_POLICY
    response.headers.setdefault("Content-Security-Policy", policy)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:  # behind a proxy, PROXY_FIX makes X-Forwarded-Proto count
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    return response
