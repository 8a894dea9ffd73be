"""Voice and two-sided accountability: the vendor's commitments measured, the partner pulse, the
ideas and questions board, and relationship health."""

from .models_board import BoardCategory, Comment, Post, Vote
from .models_pulse import PulseAnswer, PulseMessage, PulseQuestion, PulseResponse

__all__ = [
    "BoardCategory",
    "Comment",
    "Post",
    "PulseAnswer",
    "PulseMessage",
    "PulseQuestion",
    "PulseResponse",
    "Vote",
]
