"""WSGI entry point (``gunicorn sixcore.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixcore.settings")
application = get_wsgi_application()
