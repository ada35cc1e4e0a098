import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tingjian.settings")
application = get_wsgi_application()

# Build the Chinese segmenter now, once per web process (about a second from its cache),
# rather than in the first request that reads a complaint.
from tingjian.textintel.segment import tokens  # noqa: E402

tokens("聽見")
