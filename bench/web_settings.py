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

# The cache the product needs for its evaluation cache (shared by every app server: the database).
# BENCH_CACHE=none measures without it (what settings.py gives today: per-process memory, unused).
if os.environ.get("BENCH_CACHE", "database") == "database":
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "sixcore_cache"}
    }
