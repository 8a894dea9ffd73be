import datetime as dt

from django import template
from django.utils.translation import gettext as _

register = template.Library()


def _span(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return _("%(m)s min") % {"m": minutes}


@register.filter
def duration_text(delta: dt.timedelta | None) -> str:
    """A mean duration such as `1 d 4 h`; empty when there is none."""
    if delta is None:
        return ""
    return _span(int(delta.total_seconds()))


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key, "")


@register.filter
def sla_left(delta: dt.timedelta | None) -> str:
    """`2 d 3 h left`, or `overdue by 5 h` once the deadline has passed."""
    if delta is None:
        return ""
    seconds = int(delta.total_seconds())
    overdue = seconds <= 0
    seconds = abs(seconds)
    text = _span(seconds)
    if overdue:
        return _("overdue by %(time)s") % {"time": text}
    return _("%(time)s left") % {"time": text}
