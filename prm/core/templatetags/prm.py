from decimal import Decimal
from functools import lru_cache

from django import template
from django.apps import apps
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import StaticNode
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from prm.core import events, navigation
from prm.core.dates import format_value
from prm.core.html import escape, format_html
from prm.core.links import link as _link
from prm.core.links import nav as _nav
from prm.core.money import format_percent, quantize

register = template.Library()


@register.filter
def link(value, name: str) -> str:
    """The path of the URL named `name` for one argument, as `{% url name value %}` gives it,
    from a pattern reversed once per process: for a link on every row of a list.

    {{ case.pk|link:"case_detail" }}
    """
    return _link(name, value)


@register.simple_tag
def nav_url(name: str) -> str:
    """`{% url name %}` for an argument-free URL (the navigation bar's), reversed once per
    process; `{% nav_url "dashboard" as dashboard_url %}` too."""
    return _nav(name)


@lru_cache(maxsize=256)
def _static_url(path: str) -> str:
    return StaticNode.handle_simple(path)


@receiver(setting_changed)
def _static_settings_changed(setting, **kwargs):
    if setting in {"DEBUG", "INSTALLED_APPS", "STATIC_ROOT", "STATIC_URL", "STORAGES"}:
        _static_url.cache_clear()


class _StaticNode(StaticNode):
    @classmethod
    def handle_simple(cls, path):
        return _static_url(path)


@register.tag
def static(parser, token):
    """Django's `{% static %}`, with each file's URL (its hashed name) looked up once per
    process: the base template links six files on every page."""
    return _StaticNode.handle_token(parser, token)


@register.filter
def choice_label(value, field_path: str):
    """The translated label of a stored choice value.

    {{ value|choice_label:"partners.Partner.status" }}
    """
    app_label, model_name, field_name = field_path.split(".")
    field = apps.get_model(app_label, model_name)._meta.get_field(field_name)
    return dict(field.flatchoices).get(value, value)


@register.filter
def bootstrap(field):
    """Render a bound form field's widget with Bootstrap's classes (and error state)."""
    widget = field.field.widget
    input_type = getattr(widget, "input_type", "")
    if input_type == "checkbox":
        css = "form-check-input"
    elif input_type == "select" or type(widget).__name__ in ("Select", "SelectMultiple"):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    attrs = {"class": css}
    if field.errors:
        attrs["aria-describedby"] = f"{field.auto_id}-errors"
    return field.as_widget(attrs=attrs)


@register.filter
def money(amount, currency: str):
    """An amount for reading: grouped digits at its currency's minor unit ("12,000.00")."""
    if amount is None or amount == "":
        return "—"
    return f"{quantize(Decimal(amount), currency):,f}"


@register.filter
def percent(value):
    """A percentage without trailing zeros ("25", "12.5")."""
    if value is None:
        return "—"
    return format_percent(Decimal(value))


@register.filter
def event_sentence(event):
    """An audit event as a sentence in the reader's language, with its icon if it has one.

    {{ event|event_sentence }}; the verbs are declared in each app's events.py."""
    text = escape(events.event_sentence(event))
    icon = events.event_icon(event)
    if icon:
        return SafeString(
            f'<i class="bi {escape(icon)} text-warning" aria-hidden="true"></i> {text}'
        )
    return text


@register.simple_tag
def event_items(events_, show_partner=False):
    """The list of audit events `events_`, each read as a sentence with its time (and the
    partner's code first when `show_partner`), or a line saying there is none: written here
    rather than as template nodes for every event.

    {% event_items events show_partner=True %}"""
    if not events_:
        return format_html(
            '<p class="card-body text-body-secondary mb-0">{}</p>',
            gettext("Nothing has happened yet."),
        )
    short_datetime = get_format("SHORT_DATETIME_FORMAT")
    items = []
    for event in events_:
        partner = event.partner if show_partner and event.partner_id else None
        prefix = f"<strong>{escape(partner.code)}</strong> · " if partner else ""
        moment = template_localtime(event.created_at)
        reason = (
            f'\n<div class="text-body-secondary">{escape(event.reason)}</div>'
            if event.reason
            else ""
        )
        items.append(
            '<li class="list-group-item small">\n<div class="d-flex justify-content-between'
            f' gap-2">\n<span>{prefix}{event_sentence(event)}</span>\n<time'
            f' class="text-body-secondary text-nowrap" datetime="{escape(moment.isoformat())}">'
            f"{escape(format_value(moment, short_datetime))}</time>\n</div>{reason}\n</li>"
        )
    return mark_safe(  # noqa: S308 - every value in the items is escaped
        '<ul class="list-group list-group-flush">\n' + "\n".join(items) + "\n</ul>"
    )


@register.simple_tag(takes_context=True)
def navbar(context) -> str:
    """The navigation bar (prm.core.navigation)."""
    return navigation.navbar(context)
