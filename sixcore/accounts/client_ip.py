"""The client's address for the login lockout, behind as many reverse proxies as the operator trusts.

django-axes keys failures on (username, address). Behind the documented reverse proxy REMOTE_ADDR is
the proxy's own address, so five bad passwords from anywhere would lock an officer out for everyone.
With ``SIXCORE_PROXY_COUNT`` = N trusted proxies, each appending the address it received the request
from to X-Forwarded-For, the client is the N-th address from the right of that header: what a client
writes into the header itself sits further left and is never believed. N = 0 (the default) trusts no
header at all. django-ipware does the parsing; its ``proxy_count`` counts the proxies *named in* the
header, which is one fewer than the proxies in front of us (the nearest one is REMOTE_ADDR).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


def client_ip(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address the nearest untrusted hop connected from."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.SIXCORE_PROXY_COUNT
    if proxies <= 0:
        return remote
    address, _routable = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=proxies - 1,
        request_header_order=("HTTP_X_FORWARDED_FOR",),
        # Not strict: a client may send its own X-Forwarded-For (or sit behind its office's proxy); the
        # addresses our proxies appended are still the right-most ones.
        strict=False,
    )
    # No (or too short a) header: the request did not come through the configured proxies.
    return address or remote
