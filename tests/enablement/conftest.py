from .builders import tier_ladder  # noqa: F401 (a fixture for this folder's tests)
