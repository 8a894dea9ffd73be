"""prm.core.columns: a table's column labels, translated and escaped once."""

from django.utils import translation
from django.utils.translation import gettext_noop

from prm.core.columns import column_labels


def test_labels_are_translated_and_escaped():
    with translation.override("zh-hant"):
        labels = column_labels(partner=gettext_noop("Partner"), status=gettext_noop("Status"))
    assert labels == {"partner": "合作夥伴", "status": "狀態"}
    assert column_labels(odd="A & <b>") == {"odd": "A &amp; &lt;b&gt;"}
