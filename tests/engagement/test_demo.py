"""The demo pulse and board: written once, through the services."""

import pytest
from django.core.management import call_command

from engagement.demo import seed_demo_board, seed_demo_pulse
from engagement.models import Post, PulseResponse
from partners.models import ActionItem

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_quarter_of_pulse_answers_and_a_lively_board_once():
    call_command("seed_demo", verbosity=0)
    responses = PulseResponse.objects.count()
    posts = Post.objects.count()
    seed_demo_pulse()
    seed_demo_board()
    assert PulseResponse.objects.count() == responses >= 4
    assert Post.objects.count() == posts >= 8
    statuses = set(Post.objects.values_list("status", flat=True))
    assert {"open", "under_review", "planned", "done", "declined", "merged"} <= statuses
    assert Post.objects.filter(hidden_at__isnull=False).exists()
    assert Post.objects.filter(vote_count__gt=1).exists()
    # The low score put an action item on the partner's next review (titled in the account
    # manager's language).
    raised = PulseResponse.objects.filter(action_item__isnull=False).values("action_item")
    assert ActionItem.objects.filter(pk__in=raised, owner__isnull=False).exists()
