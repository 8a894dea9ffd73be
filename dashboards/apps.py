from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """The pages that compose every app: the two dashboards and a partner's 360° page, and the
    demo data set that fills them all. It sits above every other app and nothing imports it."""

    name = "dashboards"
    verbose_name = _("Dashboards")
