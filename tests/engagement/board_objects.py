"""Board objects the access matrix and the tests share, built in the test's world."""

from engagement.board_services import post_create
from engagement.defaults import defaults_ensure
from engagement.models import BoardCategory, Post


def _category(code: str) -> BoardCategory:
    # The first migration's rows are gone if a transactional test flushed the tables.
    defaults_ensure()
    return BoardCategory.objects.get(code=code)


def post(world) -> Post:
    """Partner A's idea (its admin is the author)."""
    found = Post.objects.filter(title="Matrix idea").first()
    if found is not None:
        return found
    return post_create(
        actor=world.users["partner_admin"],
        partner=world.partner,
        kind="idea",
        category=_category("portal"),
        title="Matrix idea",
        body="Let us export price sheets as PDF.",
    )


def post_pk(world) -> dict:
    return {"pk": post(world).pk}


def other_post_pk(world) -> dict:
    """Partner B's idea, the target of a merge."""
    found = Post.objects.filter(title="Matrix other idea").first()
    if found is None:
        found = post_create(
            actor=world.users["other_partner"],
            partner=world.other_partner,
            kind="idea",
            category=_category("portal"),
            title="Matrix other idea",
            body="PDF price sheets please.",
        )
    return {"pk": found.pk}


def hidden_post_pk(world) -> dict:
    """Partner A's post hidden by the vendor: B answers 404, A and the vendor read it."""
    from engagement.board_services import post_hide

    found = Post.objects.filter(title="Matrix hidden").first()
    if found is None:
        found = post_create(
            actor=world.users["partner_sales"],
            partner=world.partner,
            kind="question",
            category=_category("pricing"),
            title="Matrix hidden",
            body="Off-topic.",
        )
        found = post_hide(actor=world.users["vendor_admin"], post=found, reason="Off topic")
    return {"pk": found.pk}
