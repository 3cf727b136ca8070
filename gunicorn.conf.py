"""gunicorn reads this file when started from the checkout; the settings live in agency/gunicorn_config.py,
which an installed platform reads with `gunicorn -c python:agency.gunicorn_config 'app:create_app()'`."""

from agency.gunicorn_config import *  # noqa: F401,F403
