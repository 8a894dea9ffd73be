import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.production")

application = get_wsgi_application()

# What loading the project allocated (modules, settings, URL patterns, app registry) lives as
# long as the worker: moved out of the collector's reach, so that its full passes, which run as
# the worker's caches grow, walk half as many objects.
gc.freeze()
