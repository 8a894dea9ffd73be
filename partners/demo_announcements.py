"""Demo announcements for `seed_demo`: a product update to every partner and a price change that
Formosa has acknowledged and Harbour has not yet. Created once."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from prm.accounts.models import User

from .models import Announcement, Partner
from .services import announcement_acknowledge, announcement_create, announcement_publish

PRODUCT_UPDATE = "FortiNet X200 series: firmware 7.4 available"
PRICE_CHANGE = "Wireless price list changes on the 1st of next month"


def seed_demo_announcements(*, admin: User, manager: User) -> None:
    if Announcement.objects.filter(title__in=[PRODUCT_UPDATE, PRICE_CHANGE]).exists():
        return
    update = announcement_create(
        actor=manager,
        title=PRODUCT_UPDATE,
        local_title="X200 系列：韌體 7.4 已發布",
        body=(
            "Firmware 7.4 adds SD-WAN application steering and fixes the VPN reconnect issue. "
            "Upgrade guides are in the partner library."
        ),
        local_body=(
            "韌體 7.4 新增 SD-WAN 應用程式導流，並修正 VPN 重新連線問題。"
            "升級指南已放在合作夥伴資料庫。"
        ),
        category=Announcement.Category.PRODUCT_UPDATE,
    )
    announcement_publish(announcement=update, actor=manager)
    price = announcement_create(
        actor=admin,
        title=PRICE_CHANGE,
        local_title="無線產品價目表將於下月一日調整",
        body=(
            "List prices of the WLAN product line rise by 4% on the 1st of next month. Orders "
            "registered before then keep the current prices. Please acknowledge this change."
        ),
        local_body=(
            "WLAN 產品線定價將於下月一日調漲 4%。在此之前登錄的訂單維持現行價格。"
            "請確認已知悉此項調整。"
        ),
        category=Announcement.Category.PRICE_CHANGE,
        acknowledge_by=timezone.localdate() + dt.timedelta(days=14),
    )
    announcement_publish(announcement=price, actor=admin)
    formosa = Partner.objects.get(code="P-FORMOSA")
    announcement_acknowledge(
        announcement=price,
        partner=formosa,
        actor=User.objects.get(email="admin@formosa.example"),
    )
