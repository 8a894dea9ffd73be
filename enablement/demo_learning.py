"""Demo courses: a networking course and a security course, each with modules (text, video link,
file) and a quiz, granting the demo certifications. Idempotent: a course already there is left
as it is."""

from __future__ import annotations

from django.core.files.base import ContentFile

from .models import Certification, Choice, Course, Module, Question, Quiz

COURSES = [
    {
        "code": "NET-101",
        "certification": "NET-PRO",
        "title": "Networking Professional",
        "title_zh_hant": "網路專業認證課程",
        "body": "Switching, routing and the product line's configuration, for the people who sell "
        "and deploy the vendor's network equipment.",
        "body_zh_hant": "交換、路由與產品線設定，適合銷售與部署本公司網路設備的夥伴同仁。",
        "roles": [],
        "modules": [
            (
                "text",
                "Switching basics",
                "交換基礎",
                "A switch forwards frames by MAC address within a network (layer 2). VLANs "
                "divide one switch into separate networks.",
                "交換器依 MAC 位址在同一網路內轉送訊框（第二層）。"
                "VLAN 可將一台交換器分成數個網路。",
            ),
            (
                "video",
                "Routing in ten minutes",
                "十分鐘認識路由",
                "Routers join networks (layer 3); OSPF and BGP exchange routes.",
                "路由器連接不同網路（第三層）；OSPF 與 BGP 交換路由資訊。",
            ),
            (
                "file",
                "Product line datasheet",
                "產品線規格表",
                "Ports, speeds and power of each model.",
                "各型號的連接埠、速率與功耗。",
            ),
        ],
        "pass_mark": 70,
        "questions": [
            (
                "At which layer does a switch forward frames?",
                "交換器在哪一層轉送訊框？",
                [
                    ("Layer 1", "第一層", False),
                    ("Layer 2", "第二層", True),
                    ("Layer 7", "第七層", False),
                ],
            ),
            (
                "Which protocols exchange routes?",
                "哪些協定交換路由資訊？",
                [("OSPF", "OSPF", True), ("BGP", "BGP", True), ("HTTP", "HTTP", False)],
            ),
            (
                "What divides one switch into separate networks?",
                "什麼可將一台交換器分成數個網路？",
                [("VLANs", "VLAN", True), ("DNS", "DNS", False)],
            ),
        ],
    },
    {
        "code": "SEC-101",
        "certification": "SEC-PRO",
        "title": "Security Specialist",
        "title_zh_hant": "資安專家認證課程",
        "body": "Firewalls and secure remote access, for sales and partner admins.",
        "body_zh_hant": "防火牆與安全遠端存取，適合業務與夥伴管理員。",
        "roles": ["admin", "sales"],
        "modules": [
            (
                "text",
                "Firewall policies",
                "防火牆政策",
                "Deny by default; allow only what the business needs, and log it.",
                "預設拒絕；只允許業務所需的流量，並記錄下來。",
            ),
            (
                "video",
                "Remote access done right",
                "正確的遠端存取",
                "Multi-factor sign-in and least privilege for every remote user.",
                "每位遠端使用者都使用多因素登入與最小權限。",
            ),
        ],
        "pass_mark": 100,
        "questions": [
            (
                "What should a firewall policy do by default?",
                "防火牆政策預設應如何處理？",
                [("Deny", "拒絕", True), ("Allow", "允許", False)],
            ),
            (
                "What protects remote sign-in best?",
                "哪一項最能保護遠端登入？",
                [
                    ("A longer password only", "只用較長的密碼", False),
                    ("Multi-factor authentication", "多因素驗證", True),
                ],
            ),
        ],
    },
]

DATASHEET = (
    b"Model    Ports  Speed     Power\n"
    b"NS-2400  24     1 Gb/s    35 W\n"
    b"NS-4800  48     10 Gb/s   120 W\n"
)


def seed_demo_learning() -> int:
    """Create the demo courses; returns the number created."""
    created = 0
    for index, spec in enumerate(COURSES):
        if Course.objects.filter(code=spec["code"]).exists():
            continue
        course = Course.objects.create(
            code=spec["code"],
            title=spec["title"],
            title_zh_hant=spec["title_zh_hant"],
            body=spec["body"],
            body_zh_hant=spec["body_zh_hant"],
            roles=spec["roles"],
            certification=Certification.objects.filter(code=spec["certification"]).first(),
            published=True,
            order=index,
        )
        for order, (kind, title, title_zh, body, body_zh) in enumerate(spec["modules"], start=1):
            module = Module(
                course=course,
                order=order,
                kind=kind,
                title=title,
                title_zh_hant=title_zh,
                body=body,
                body_zh_hant=body_zh,
                url="https://video.example.com/learning/" + course.code.lower()
                if kind == "video"
                else "",
            )
            if kind == "file":
                module.file.save(
                    f"{course.code.lower()}-datasheet.txt", ContentFile(DATASHEET), save=False
                )
            module.save()
        quiz = Quiz.objects.create(course=course, pass_mark=spec["pass_mark"])
        for order, (text, text_zh, choices) in enumerate(spec["questions"], start=1):
            question = Question.objects.create(
                quiz=quiz, order=order, text=text, text_zh_hant=text_zh
            )
            Choice.objects.bulk_create(
                Choice(question=question, text=c, text_zh_hant=c_zh, correct=ok)
                for c, c_zh, ok in choices
            )
        created += 1
    return created


# (title, title in Chinese, days from today, hour, place, online link, seats, course, registrants)
WORKSHOPS = [
    (
        "Router lab: hands-on configuration",
        "路由器實作工作坊",
        1,
        10,
        "Taipei office, 3F training room",
        "",
        12,
        "NET-101",
        ["sales@formosa.example", "admin@formosa.example"],
    ),
    (
        "Security webinar: remote access",
        "資安線上研討會：遠端存取",
        21,
        15,
        "",
        "https://meet.example.com/security-webinar",
        2,
        "SEC-101",
        ["admin@formosa.example", "sales@harbour.example", "sales@formosa.example"],
    ),
]


def seed_demo_workshops(*, today=None) -> int:
    """A workshop tomorrow (its reminder goes on the next beat run) and a full webinar with a
    waiting list; returns the number created."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from partners.models import Membership

    from .models import Workshop
    from .workshops import workshop_register

    today = today or timezone.localdate()
    created = 0
    for title, title_zh, days, hour, place, url, seats, code, emails in WORKSHOPS:
        if Workshop.objects.filter(title=title).exists():
            continue
        starts = timezone.make_aware(
            dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour))
        )
        workshop = Workshop.objects.create(
            title=title,
            title_zh_hant=title_zh,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            place=place,
            online_url=url,
            capacity=seats,
            course=Course.objects.filter(code=code).first(),
        )
        for email in emails:
            user = get_user_model().objects.filter(email=email).first()
            membership = Membership.objects.filter(user=user, is_active=True).first()
            if membership is not None:
                workshop_register(user=user, partner=membership.partner, workshop=workshop)
        created += 1
    return created
