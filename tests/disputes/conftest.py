import pytest


@pytest.fixture(autouse=True)
def _memory_storage(settings):
    """Attachments go to an in-memory storage: nothing is left on disk."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
