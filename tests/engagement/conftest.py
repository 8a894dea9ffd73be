import pytest

from engagement.defaults import defaults_ensure


@pytest.fixture(autouse=True)
def _defaults(db):
    """The default questions and categories, written by the first migration, are gone after a
    transactional test elsewhere flushed the tables: put them back."""
    defaults_ensure()
