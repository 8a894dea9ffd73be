"""The statement rollup, and the triggers that keep it equal to the counts and sums of
commissions_statement (as 0005 does for the sales): PostgreSQL statement-level triggers with
transition tables, SQLite row-level triggers (the embedded demo). The statement list's index on
the period start also holds what its sums read."""

from django.conf import settings
from django.db import migrations, models

COLUMNS = "period, period_start, currency, status, acknowledged, statement_count, total_cents"
KEY = "period_start, period, currency, status, acknowledged"

POSTGRES_FORWARD = [
    f"""
    CREATE FUNCTION commissions_statement_rollup_add() RETURNS trigger AS $$
    BEGIN
        INSERT INTO commissions_statementrollup ({COLUMNS})
        SELECT n.period, n.period_start, n.currency, n.status, n.acknowledged_at IS NOT NULL,
               COUNT(*), SUM(ROUND(n.total * 100))::bigint
        FROM statement_rollup_new n
        GROUP BY 1, 2, 3, 4, 5
        ON CONFLICT ({KEY}) DO UPDATE SET
            statement_count =
                commissions_statementrollup.statement_count + EXCLUDED.statement_count,
            total_cents = commissions_statementrollup.total_cents + EXCLUDED.total_cents;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE FUNCTION commissions_statement_rollup_remove() RETURNS trigger AS $$
    BEGIN
        UPDATE commissions_statementrollup r SET
            statement_count = r.statement_count - d.statement_count,
            total_cents = r.total_cents - d.total_cents
        FROM (
            SELECT x.period, x.period_start, x.currency, x.status,
                   x.acknowledged_at IS NOT NULL AS acknowledged,
                   COUNT(*) AS statement_count,
                   SUM(ROUND(x.total * 100))::bigint AS total_cents
            FROM statement_rollup_old x
            GROUP BY 1, 2, 3, 4, 5
        ) d
        WHERE (r.period_start, r.period, r.currency, r.status, r.acknowledged)
            = (d.period_start, d.period, d.currency, d.status, d.acknowledged);
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER commissions_statement_rollup_insert AFTER INSERT ON commissions_statement
    REFERENCING NEW TABLE AS statement_rollup_new
    FOR EACH STATEMENT EXECUTE FUNCTION commissions_statement_rollup_add()
    """,
    """
    CREATE TRIGGER commissions_statement_rollup_delete AFTER DELETE ON commissions_statement
    REFERENCING OLD TABLE AS statement_rollup_old
    FOR EACH STATEMENT EXECUTE FUNCTION commissions_statement_rollup_remove()
    """,
    """
    CREATE TRIGGER commissions_statement_rollup_update_old AFTER UPDATE ON commissions_statement
    REFERENCING OLD TABLE AS statement_rollup_old
    FOR EACH STATEMENT EXECUTE FUNCTION commissions_statement_rollup_remove()
    """,
    """
    CREATE TRIGGER commissions_statement_rollup_update_new AFTER UPDATE ON commissions_statement
    REFERENCING NEW TABLE AS statement_rollup_new
    FOR EACH STATEMENT EXECUTE FUNCTION commissions_statement_rollup_add()
    """,
    f"""
    INSERT INTO commissions_statementrollup ({COLUMNS})
    SELECT period, period_start, currency, status, acknowledged_at IS NOT NULL,
           COUNT(*), SUM(ROUND(total * 100))::bigint
    FROM commissions_statement
    GROUP BY 1, 2, 3, 4, 5
    """,
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS commissions_statement_rollup_insert ON commissions_statement",
    "DROP TRIGGER IF EXISTS commissions_statement_rollup_delete ON commissions_statement",
    "DROP TRIGGER IF EXISTS commissions_statement_rollup_update_old ON commissions_statement",
    "DROP TRIGGER IF EXISTS commissions_statement_rollup_update_new ON commissions_statement",
    "DROP FUNCTION IF EXISTS commissions_statement_rollup_add()",
    "DROP FUNCTION IF EXISTS commissions_statement_rollup_remove()",
]


def _sqlite_add(row: str) -> str:
    return f"""
        INSERT INTO commissions_statementrollup ({COLUMNS})
        VALUES ({row}.period, {row}.period_start, {row}.currency, {row}.status,
                {row}.acknowledged_at IS NOT NULL, 1,
                CAST(ROUND({row}.total * 100) AS INTEGER))
        ON CONFLICT ({KEY}) DO UPDATE SET
            statement_count = statement_count + 1,
            total_cents = total_cents + excluded.total_cents;
    """


def _sqlite_remove(row: str) -> str:
    return f"""
        UPDATE commissions_statementrollup SET
            statement_count = statement_count - 1,
            total_cents = total_cents - CAST(ROUND({row}.total * 100) AS INTEGER)
        WHERE period_start = {row}.period_start AND period = {row}.period
          AND currency = {row}.currency AND status = {row}.status
          AND acknowledged = ({row}.acknowledged_at IS NOT NULL);
    """


SQLITE_FORWARD = [
    "CREATE TRIGGER commissions_statement_rollup_insert AFTER INSERT ON commissions_statement "
    f"BEGIN {_sqlite_add('NEW')} END",
    "CREATE TRIGGER commissions_statement_rollup_delete AFTER DELETE ON commissions_statement "
    f"BEGIN {_sqlite_remove('OLD')} END",
    "CREATE TRIGGER commissions_statement_rollup_update AFTER UPDATE ON commissions_statement "
    f"BEGIN {_sqlite_remove('OLD')} {_sqlite_add('NEW')} END",
    f"""
    INSERT INTO commissions_statementrollup ({COLUMNS})
    SELECT period, period_start, currency, status, acknowledged_at IS NOT NULL,
           COUNT(*), SUM(CAST(ROUND(total * 100) AS INTEGER))
    FROM commissions_statement
    GROUP BY 1, 2, 3, 4, 5
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS commissions_statement_rollup_insert",
    "DROP TRIGGER IF EXISTS commissions_statement_rollup_delete",
    "DROP TRIGGER IF EXISTS commissions_statement_rollup_update",
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
        ('commissions', '0020_dashboard_list_indexes'),
        ('partners', '0008_dashboard_list_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='StatementRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period', models.CharField(max_length=7)),
                ('period_start', models.DateField()),
                ('currency', models.CharField(max_length=3)),
                ('status', models.CharField(max_length=8)),
                ('acknowledged', models.BooleanField()),
                ('statement_count', models.BigIntegerField(default=0)),
                ('total_cents', models.BigIntegerField(default=0)),
            ],
            options={
                'verbose_name': 'statement rollup',
                'verbose_name_plural': 'statement rollups',
            },
        ),
        migrations.AddIndex(
            model_name='statement',
            index=models.Index(fields=['-period_start', 'currency'], include=('partner', 'period', 'status', 'acknowledged_at', 'total'), name='statement_period_sums_idx'),
        ),
        migrations.RemoveIndex(
            model_name='statement',
            name='statement_period_start_idx',
        ),
        migrations.AddConstraint(
            model_name='statementrollup',
            constraint=models.UniqueConstraint(fields=('period_start', 'period', 'currency', 'status', 'acknowledged'), name='unique_statement_rollup_key'),
        ),
        migrations.RunPython(forward, backward),
    ]
