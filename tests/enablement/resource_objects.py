"""Resources the tests build: a file resource for every partner user, and one for sales users
only (out of reach of partner admins and finance users: 404)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from enablement.resource_models import Resource
from enablement.resource_services import resource_create

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"


def pdf(name: str = "brochure.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def resource(world, title: str = "Switch brochure", **audience) -> Resource:
    found = Resource.objects.filter(title=title).first()
    if found is not None:
        return found
    return resource_create(
        actor=world.users["vendor_admin"],
        title=title,
        category=audience.pop("category", Resource.Category.PRODUCT_INFORMATION),
        upload=pdf(),
        **audience,
    )


def sales_only(world) -> Resource:
    return resource(
        world, "Objection handling for sales", for_admin=False, for_finance=False, for_sales=True
    )
