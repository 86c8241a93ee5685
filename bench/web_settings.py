"""Settings of the web benchmark: the product's, with a URLconf that adds the hello-world ceiling.

The hello-world view is never in the product's URLconf; gunicorn runs with
``DJANGO_SETTINGS_MODULE=bench.web_settings`` only in bench/bench_web.py.
"""

import os

from sixcore.settings import *  # noqa: F403

ROOT_URLCONF = "bench.web_urls"

# The benchmark fetches pages, never static files: hashed names from the manifest as in production,
# without whitenoise's compression of every file (minutes of `collectstatic` on a busy machine).
if PROFILE == "production":  # noqa: F405
    STORAGES = {  # noqa: F405
        **STORAGES,  # noqa: F405
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }

# BENCH_CACHE: "memory" (default) is settings.py's cache; "database" a DatabaseCache shared by the
# workers (Django's own caching: sessions are database ones either way).
BENCH_CACHE = os.environ.get("BENCH_CACHE", "memory")
if BENCH_CACHE == "database":
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "sixcore_cache"}
    }
