"""gunicorn settings for sixcore (``gunicorn -c deploy/gunicorn.conf.py sixcore.wsgi``).

App servers are stateless (sessions, locks, lockout counters live in PostgreSQL; uploads on shared
storage), so any number of them can run behind the proxy on one database.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 60  # report generation runs in the background; a page never takes this long
graceful_timeout = 30
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
raw_env = ["SIXCORE_PROFILE=production"]
