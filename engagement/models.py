"""Voice and two-sided accountability: the vendor's commitments measured, the partner pulse, the
ideas and questions board, and relationship health."""

from .models_commitments import Commitment, CommitmentMiss, Obligations  # noqa: F401
from .models_health import HealthSnapshot, HealthWeight  # noqa: F401
