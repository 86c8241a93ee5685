"""API token authentication: DRF's ``TokenAuthentication`` with a lookup prepared once.

DRF reads the token with ``Token.objects.select_related("user").get(key=key)`` on every API request;
this one reads the token, its user, the user's agency (which scope every list) and the data version
(``core/pagecache.py``: the key of a cached answer) with one query compiled once per connection
(``core.prepared``), with the same checks and errors as DRF's.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from sixcore.core import pagecache
from sixcore.core.prepared import Param, PreparedGet

# No token has this key (DRF's keys are 40 hexadecimal digits): it marks the key's place in the query.
_PROBE_KEY = "sixcore:probe:token-key"

_token_with_user = PreparedGet(
    lambda key: (
        Token.objects.select_related("user__agency")
        .filter(key=key)
        .annotate(**pagecache.latest_change_columns())
    ),
    Param(_PROBE_KEY),
)


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None:  # read with the token at the start of this request: the page cache's key
            token = found[1]
            version = pagecache.version_of((token.latest_change_id, token.latest_change_time))
            setattr(request._request, pagecache.DATA_VERSION_ATTRIBUTE, version)
        return found

    def authenticate_credentials(self, key):
        token = _token_with_user.get(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
