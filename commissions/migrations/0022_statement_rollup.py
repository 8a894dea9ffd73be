"""The statement rollup, and the triggers that keep it equal to the counts and sums of
commissions_statement (as 0005 does for the sales): PostgreSQL statement-level triggers with
transition tables, SQLite row-level triggers (the embedded demo). The statement list's index on
the period start also holds what its sums read.

On PostgreSQL each statement adds its changes, the new rows counted in and the old ones out, to
the rows of its session's slot (its backend's process id modulo 16), in the order of their key,
and leaves alone the keys it does not change: concurrent writers seldom share a row, and those
that do take their rows in one order."""

from django.conf import settings
from django.db import migrations, models

COLUMNS = (
    "period, period_start, currency, status, acknowledged, slot, statement_count, total_cents"
)
KEY = "period_start, period, currency, status, acknowledged, slot"


def _rows(table: str, sign: str) -> str:
    return f"""
        SELECT period, period_start, currency, status, acknowledged_at IS NOT NULL AS acknowledged,
               {sign}1 AS statements, {sign}ROUND(total * 100)::bigint AS cents
        FROM {table}
    """


def _function(name: str, *changes: str) -> str:
    rows = " UNION ALL ".join(changes)
    return f"""
    CREATE FUNCTION {name}() RETURNS trigger AS $$
    BEGIN
        INSERT INTO commissions_statementrollup ({COLUMNS})
        SELECT period, period_start, currency, status, acknowledged, mod(pg_backend_pid(), 16),
               SUM(statements), SUM(cents)
        FROM ({rows}) AS changes
        GROUP BY period, period_start, currency, status, acknowledged
        HAVING SUM(statements) <> 0 OR SUM(cents) <> 0
        ORDER BY period_start, period, currency, status, acknowledged
        ON CONFLICT ({KEY}) DO UPDATE SET
            statement_count =
                commissions_statementrollup.statement_count + EXCLUDED.statement_count,
            total_cents = commissions_statementrollup.total_cents + EXCLUDED.total_cents;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """


POSTGRES_FORWARD = [
    _function("commissions_statement_rollup_add", _rows("statement_rollup_new", "")),
    _function("commissions_statement_rollup_remove", _rows("statement_rollup_old", "-")),
    _function(
        "commissions_statement_rollup_change",
        _rows("statement_rollup_new", ""),
        _rows("statement_rollup_old", "-"),
    ),
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
    CREATE TRIGGER commissions_statement_rollup_update AFTER UPDATE ON commissions_statement
    REFERENCING OLD TABLE AS statement_rollup_old NEW TABLE AS statement_rollup_new
    FOR EACH STATEMENT EXECUTE FUNCTION commissions_statement_rollup_change()
    """,
    f"""
    INSERT INTO commissions_statementrollup ({COLUMNS})
    SELECT period, period_start, currency, status, acknowledged_at IS NOT NULL, 0,
           COUNT(*), SUM(ROUND(total * 100))::bigint
    FROM commissions_statement
    GROUP BY 1, 2, 3, 4, 5
    """,
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS commissions_statement_rollup_insert ON commissions_statement",
    "DROP TRIGGER IF EXISTS commissions_statement_rollup_delete ON commissions_statement",
    "DROP TRIGGER IF EXISTS commissions_statement_rollup_update ON commissions_statement",
    "DROP FUNCTION IF EXISTS commissions_statement_rollup_add()",
    "DROP FUNCTION IF EXISTS commissions_statement_rollup_remove()",
    "DROP FUNCTION IF EXISTS commissions_statement_rollup_change()",
]


def _sqlite_add(row: str) -> str:
    return f"""
        INSERT INTO commissions_statementrollup ({COLUMNS})
        VALUES ({row}.period, {row}.period_start, {row}.currency, {row}.status,
                {row}.acknowledged_at IS NOT NULL, 0, 1,
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
          AND acknowledged = ({row}.acknowledged_at IS NOT NULL) AND slot = 0;
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
    SELECT period, period_start, currency, status, acknowledged_at IS NOT NULL, 0,
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
        ('commissions', '0021_statement_status_covering'),
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
                ('slot', models.PositiveSmallIntegerField(default=0)),
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
            index=models.Index(fields=['-period_start', 'currency', 'partner', 'period', 'status', 'acknowledged_at', 'total'], name='statement_period_sums_idx'),
        ),
        migrations.RemoveIndex(
            model_name='statement',
            name='statement_period_start_idx',
        ),
        migrations.AddConstraint(
            model_name='statementrollup',
            constraint=models.UniqueConstraint(fields=('period_start', 'period', 'currency', 'status', 'acknowledged', 'slot'), name='unique_statement_rollup_key'),
        ),
        migrations.RunPython(forward, backward),
    ]
