"""The pulse questions and board categories every installation starts with (the spec's
defaults); vendor admins edit them afterwards in Django admin."""

from __future__ import annotations

DEFAULT_QUESTIONS = [
    (
        "recommend",
        "recommend",
        "How likely are you to recommend working with us?",
        "您有多大可能推薦與我們合作？",
    ),
    ("pricing", "rating", "Pricing transparency", "價格透明度"),
    ("payouts", "rating", "Payout accuracy", "佣金發放正確性"),
    ("communication", "rating", "Communication", "溝通"),
    ("support", "rating", "Support", "支援"),
    ("training", "rating", "Training", "培訓"),
    ("comments", "text", "Anything else you would like to tell us?", "還有其他想告訴我們的嗎？"),
]

DEFAULT_CATEGORIES = [
    ("products", "Products", "產品"),
    ("pricing", "Pricing and programs", "價格與方案"),
    ("portal", "Portal and tools", "入口網站與工具"),
    ("marketing", "Marketing and enablement", "行銷與賦能"),
]


def defaults_ensure(question_model=None, category_model=None) -> None:
    """Create the default questions and categories that are missing (by code); edited ones are
    left as they are. Used by the first migration and by seed_demo."""
    if question_model is None or category_model is None:
        from .models import BoardCategory, PulseQuestion

        question_model, category_model = PulseQuestion, BoardCategory
    for position, (code, kind, text, local_text) in enumerate(DEFAULT_QUESTIONS, start=1):
        question_model.objects.get_or_create(
            code=code,
            defaults={"kind": kind, "text": text, "local_text": local_text, "position": position},
        )
    for position, (code, name, local_name) in enumerate(DEFAULT_CATEGORIES, start=1):
        category_model.objects.get_or_create(
            code=code, defaults={"name": name, "local_name": local_name, "position": position}
        )
