import pytest

from ..factories import VendorAdminFactory


@pytest.fixture
def vendor_admin(db):
    return VendorAdminFactory(email="boss@vendor.test")
