"""The partner grant totals, and the triggers that keep them equal to the number of guardian's
user grants on partners per user and permission, and to the number of partners (the row of user
and permission 0): PostgreSQL statement-level triggers with transition tables, SQLite row-level
triggers (the embedded demo)."""

from django.db import migrations, models

TOTALS = "partners_partnergranttotal"
GRANTS = "partners_partneruserobjectpermission"
PARTNERS = "partners_partner"


def _grants(table: str, sign: str) -> str:
    return f"SELECT user_id, permission_id, {sign}1 AS n FROM {table}"


def _partners(table: str, sign: str) -> str:
    return f"SELECT 0 AS user_id, 0 AS permission_id, {sign}1 AS n FROM {table}"


def _function(name: str, *changes: str) -> str:
    rows = " UNION ALL ".join(changes)
    return f"""
    CREATE FUNCTION {name}() RETURNS trigger AS $$
    BEGIN
        INSERT INTO {TOTALS} (user_id, permission_id, total)
        SELECT user_id, permission_id, SUM(n)
        FROM ({rows}) AS changes
        GROUP BY user_id, permission_id
        HAVING SUM(n) <> 0
        ORDER BY user_id, permission_id
        ON CONFLICT (user_id, permission_id) DO UPDATE SET
            total = {TOTALS}.total + EXCLUDED.total;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """


def _triggers(table: str, prefix: str) -> list[str]:
    return [
        f"""
        CREATE TRIGGER {prefix}_insert AFTER INSERT ON {table}
        REFERENCING NEW TABLE AS grant_total_new
        FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_add()
        """,
        f"""
        CREATE TRIGGER {prefix}_delete AFTER DELETE ON {table}
        REFERENCING OLD TABLE AS grant_total_old
        FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_remove()
        """,
        f"""
        CREATE TRIGGER {prefix}_update AFTER UPDATE ON {table}
        REFERENCING OLD TABLE AS grant_total_old NEW TABLE AS grant_total_new
        FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_change()
        """,
    ]


def _postgres_forward(prefix: str, rows) -> list[str]:
    return [
        _function(f"{prefix}_add", rows("grant_total_new", "")),
        _function(f"{prefix}_remove", rows("grant_total_old", "-")),
        _function(f"{prefix}_change", rows("grant_total_new", ""), rows("grant_total_old", "-")),
    ]


FILL = [
    f"""
    INSERT INTO {TOTALS} (user_id, permission_id, total)
    SELECT user_id, permission_id, COUNT(*) FROM {GRANTS} GROUP BY user_id, permission_id
    """,
    f"INSERT INTO {TOTALS} (user_id, permission_id, total) SELECT 0, 0, COUNT(*) FROM {PARTNERS}",
]

POSTGRES_FORWARD = [
    *_postgres_forward("partners_grant_total", _grants),
    *_triggers(GRANTS, "partners_grant_total"),
    *_postgres_forward("partners_partner_total", _partners),
    *_triggers(PARTNERS, "partners_partner_total"),
    *FILL,
]
POSTGRES_BACKWARD = [
    *(
        f"DROP TRIGGER IF EXISTS {prefix}_{event} ON {table}"
        for prefix, table in (
            ("partners_grant_total", GRANTS),
            ("partners_partner_total", PARTNERS),
        )
        for event in ("insert", "delete", "update")
    ),
    *(
        f"DROP FUNCTION IF EXISTS {prefix}_{change}()"
        for prefix in ("partners_grant_total", "partners_partner_total")
        for change in ("add", "remove", "change")
    ),
]


def _sqlite_change(user: str, permission: str, sign: str) -> str:
    return f"""
        INSERT INTO {TOTALS} (user_id, permission_id, total) VALUES ({user}, {permission}, {sign}1)
        ON CONFLICT (user_id, permission_id) DO UPDATE SET total = total + excluded.total;
    """


SQLITE_FORWARD = [
    f"CREATE TRIGGER partners_grant_total_insert AFTER INSERT ON {GRANTS} "
    f"BEGIN {_sqlite_change('NEW.user_id', 'NEW.permission_id', '')} END",
    f"CREATE TRIGGER partners_grant_total_delete AFTER DELETE ON {GRANTS} "
    f"BEGIN {_sqlite_change('OLD.user_id', 'OLD.permission_id', '-')} END",
    f"CREATE TRIGGER partners_grant_total_update AFTER UPDATE ON {GRANTS} "
    f"BEGIN {_sqlite_change('OLD.user_id', 'OLD.permission_id', '-')} "
    f"{_sqlite_change('NEW.user_id', 'NEW.permission_id', '')} END",
    f"CREATE TRIGGER partners_partner_total_insert AFTER INSERT ON {PARTNERS} "
    f"BEGIN {_sqlite_change('0', '0', '')} END",
    f"CREATE TRIGGER partners_partner_total_delete AFTER DELETE ON {PARTNERS} "
    f"BEGIN {_sqlite_change('0', '0', '-')} END",
    *FILL,
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {prefix}_{event}"
    for prefix in ("partners_grant_total", "partners_partner_total")
    for event in ("insert", "delete", "update")
]


def forward(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for sql in POSTGRES_FORWARD if postgres else SQLITE_FORWARD:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for sql in POSTGRES_BACKWARD if postgres else SQLITE_BACKWARD:
        schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('partners', '0010_partner_flagged_idx'),
    ]

    operations = [
        migrations.CreateModel(
            name='PartnerGrantTotal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('user_id', models.BigIntegerField()),
                ('permission_id', models.BigIntegerField()),
                ('total', models.BigIntegerField(default=0)),
            ],
            options={
                'verbose_name': 'partner grant total',
                'verbose_name_plural': 'partner grant totals',
                'constraints': [models.UniqueConstraint(fields=('user_id', 'permission_id'), name='unique_partner_grant_total')],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
