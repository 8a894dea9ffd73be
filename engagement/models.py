"""Voice and two-sided accountability: the vendor's commitments measured, the partner pulse, the
ideas and questions board, and relationship health."""

from .models_board import BoardCategory, Comment, Post, Vote
from .models_commitments import Commitment, CommitmentMiss, Obligations
from .models_health import HealthSnapshot, HealthWeight
from .models_pulse import PulseAnswer, PulseMessage, PulseQuestion, PulseResponse

__all__ = [
    "BoardCategory",
    "Comment",
    "Commitment",
    "CommitmentMiss",
    "HealthSnapshot",
    "HealthWeight",
    "Obligations",
    "Post",
    "PulseAnswer",
    "PulseMessage",
    "PulseQuestion",
    "PulseResponse",
    "Vote",
]
