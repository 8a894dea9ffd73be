"""Column labels of the tables that template tags write row by row."""

from django.utils.html import conditional_escape
from django.utils.translation import gettext


def column_labels(**msgids: str) -> dict[str, str]:
    """Each column's label in the active language, escaped, read once per table (each cell
    repeats it as `data-label` for the stacked layout on small screens). The msgids are marked
    with `gettext_noop` where they are written, so that makemessages finds them:

    labels = column_labels(partner=gettext_noop("Partner"), status=gettext_noop("Status"))
    """
    return {key: conditional_escape(gettext(msgid)) for key, msgid in msgids.items()}
