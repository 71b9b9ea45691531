"""The issue taxonomy: category keys with English and Chinese labels.

Keys are what scenario files use (``needs`` of a firm, ``skills`` of a cadre, the
simulation's arrival ``mix``). A scenario may use any subset.
"""

from __future__ import annotations

CATEGORIES: dict[str, tuple[str, str]] = {
    "financing": ("Financing and loans", "贷款融资"),
    "cost_reduction": ("Cost reduction", "降本增效"),
    "hiring": ("Hiring and talent", "引才用工"),
    "policy": ("Policy implementation", "政策落实"),
    "logistics": ("Logistics and transport", "物流运输"),
    "supplies": ("Epidemic-prevention supplies", "防疫物资"),
    "permits": ("Approvals and permits", "审批手续"),
    "legal": ("Legal services", "法律服务"),
    "safety": ("Production safety", "安全生产"),
    "environment": ("Environmental assessment", "环评环保"),
    "sales": ("Sales and markets", "市场销售"),
    "other": ("Other", "其他"),
}
"""Category key -> (English label, Chinese label), in a fixed order."""

CATEGORY_KEYS: tuple[str, ...] = tuple(CATEGORIES)
CATEGORY_INDEX: dict[str, int] = {key: i for i, key in enumerate(CATEGORY_KEYS)}


def label(key: str, lang: str = "en") -> str:
    """Return the label of a category key in ``lang`` ("en" or "zh")."""
    en, zh = CATEGORIES[key]
    return zh if lang == "zh" else en


def is_category(key: str) -> bool:
    """Tell whether ``key`` is one of the taxonomy's keys."""
    return key in CATEGORIES
