"""The queue benchmark's database: a steady-state agency generated in PostgreSQL with set-based SQL.

Everything but the few clients, teams and users is written by INSERT … SELECT over generate_series,
with deterministic pseudo-random spreads (products modulo a prime of its own for each attribute, so
that they are nearly independent), never row by row from Python. Foreign-key triggers are off while
loading (`session_replication_role = replica`): the generated rows are consistent by construction,
and checking millions of references one by one is not what is measured.

The shape, for N cases:
- 0.8 N debtors (some owe several cases), each with a valid mobile number; 1 % under an insolvency
  hold; half of them with a risk score;
- N cases over 10 clients (or as many as asked), opened over the last 400 days, at the strategy step their age gives;
  80 % in the statuses the queue serves; 4 teams, each case in a team's pool, 10 % of the queued
  ones assigned to one of the team's two collectors; of the queued cases, 35 % due now (up to 10 days
  late), 45 % due within the month, 20 % with nothing planned; 1 % of the due ones with a callback;
- one claim per case, its principal in the ledger, and a part payment on 30 % of the cases;
- 3 N actions: each case's last three strategy steps (letter, SMS, call…), or manual calls and notes
  where the case is too young to have three;
- promises: 2 % of the active cases with one falling due today, 1 % with one broken yesterday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

CLIENTS = 10
TEAMS = 4
COLLECTORS_PER_TEAM = 2


@dataclass(frozen=True)
class Shape:
    cases: int
    debtors: int
    actions: int


def seed_people(session, today: date, clients: int = CLIENTS) -> list[int]:
    """Create the clients with their mandates, the teams and the collectors; return the collectors' ids."""
    from agency.models import Client, Mandate, Role, Team, User

    for n in range(1, clients + 1):
        client = Client(code=f"BQ{n:02d}", name=f"Créancier {n} SAS", address_line1="1 rue de la Paix",
                        postcode="75002", city="Paris")  # fmt: skip
        client.mandates.append(Mandate(reference=f"MAN-BQ{n}", signed_on=today - timedelta(days=800),
                                       starts_on=today - timedelta(days=800), commission_bp=1500))  # fmt: skip
        session.add(client)
    collectors = []
    for t in range(1, TEAMS + 1):
        team = Team(name=f"Équipe {t}")
        session.add(team)
        session.flush()
        for c in range(COLLECTORS_PER_TEAM):
            user = User(email=f"collector{t}{c}@bench.example", name=f"Collector {t}.{c}", role=Role.COLLECTOR.value,
                        teams=[team], password_hash="-")  # fmt: skip
            session.add(user)
            collectors.append(user)
    session.add(User(email="manager@bench.example", name="Manager", role=Role.MANAGER.value, password_hash="-"))
    session.flush()
    return [u.id for u in collectors]


def generate(connection: sa.Connection, cases: int, now: datetime, clients: int = CLIENTS) -> Shape:
    """Write debtors, contact points, holds, cases, claims, ledger, actions and promises; return the counts.

    `clients` must be the number `seed_people` created: the cases are spread over them evenly.
    """
    debtors = max(1, cases * 4 // 5)
    params = {"n": cases, "d": debtors, "now": now, "today": now.date(), "clients": clients}
    connection.execute(sa.text("SET session_replication_role = replica"))
    for statement in STATEMENTS:
        connection.execute(sa.text(statement), params)
    for table in ("debtor", "contact_point", "hold", "collection_case", "claim", "ledger_entry", "action", "promise"):
        connection.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"  # noqa: S608
        ))  # fmt: skip
    connection.execute(sa.text("SET session_replication_role = DEFAULT"))
    return Shape(cases=cases, debtors=debtors, actions=3 * cases)


# A case's age in days (0-399) and the last strategy step already taken (DEFAULT_STRATEGY's days);
# a step falling due today is left for the daily job: the cases whose age is a step's day are a day's work.
AGE = "CAST((g * 7919) % 400 AS integer)"
STEP_OF_AGE = (f"CASE WHEN {AGE} > 75 THEN 7 WHEN {AGE} > 60 THEN 6 WHEN {AGE} > 30 THEN 4 "
               f"WHEN {AGE} > 15 THEN 3 WHEN {AGE} > 5 THEN 2 WHEN {AGE} > 0 THEN 1 ELSE 0 END")  # fmt: skip
STATUS = ("CASE WHEN (g * 37) % 97 < 58 THEN 'active' WHEN (g * 37) % 97 < 68 THEN 'new' "
          "WHEN (g * 37) % 97 < 73 THEN 'promise' WHEN (g * 37) % 97 < 78 THEN 'plan' "
          "WHEN (g * 37) % 97 < 83 THEN 'dispute' WHEN (g * 37) % 97 < 85 THEN 'hold' "
          "WHEN (g * 37) % 97 < 88 THEN 'escalated' WHEN (g * 37) % 97 < 92 THEN 'paid' ELSE 'closed' END")  # fmt: skip
QUEUED = "(g * 37) % 97 < 78"
CLOSED = "(g * 37) % 97 >= 88"
DUE = "(g * 31) % 89 < 31"
LATER = "(g * 31) % 89 < 71"
TEAM = f"(1 + g % {TEAMS})"
# Collectors were created team by team: the two of team t have ids first + 2(t-1) and first + 2(t-1) + 1.
FIRST_COLLECTOR = "(SELECT min(id) FROM user_account WHERE role = 'collector')"
COLLECTOR = f"{FIRST_COLLECTOR} + {COLLECTORS_PER_TEAM} * (g % {TEAMS}) + (g / {TEAMS}) % {COLLECTORS_PER_TEAM}"

# Strategy steps: number, day after placement, kind, channel.
STEPS_TABLE = ("(VALUES (1, 0, 'letter', 'post'), (2, 5, 'sms', 'sms'), (3, 15, 'call', 'phone'), "
               "(4, 30, 'letter', 'post'), (5, 60, 'call', 'phone'), (6, 60, 'letter', 'post'), "
               "(7, 75, 'formal_notice', 'post')) AS step(number, day, kind, channel)")  # fmt: skip

STATEMENTS = [
    """INSERT INTO debtor (id, kind, title, first_name, last_name, company_name, siren, language, timezone,
                           risk_score, created_at)
       SELECT g, 'person', '', 'Jeanne', 'Martin' || g, '', NULL, 'fr', 'Europe/Paris',
              CASE WHEN g % 2 = 0 THEN (g * 13) % 101 END, :now
       FROM generate_series(1, :d) AS g""",
    """INSERT INTO contact_point (id, debtor_id, kind, label, value, address_line1, address_line2, postcode, city,
                                  country, status, is_primary, sms_consent, source, created_at)
       SELECT g, g, 'phone', 'mobile', '+336' || lpad(g::text, 8, '0'), '', '', '', '', 'FR', 'valid', true, true,
              'placement', :now
       FROM generate_series(1, :d) AS g""",
    """INSERT INTO hold (id, debtor_id, kind, reason, started_at, resolution)
       SELECT g / 101, g, 'insolvency', 'Redressement judiciaire', :now - interval '30 days', ''
       FROM generate_series(101, :d, 101) AS g""",
    f"""INSERT INTO collection_case (id, reference, client_id, debtor_id, client_reference, status, kind, currency,
                                    assigned_collector_id, opened_on, closed_on, closed_reason, created_at, team_id,
                                    next_action_at, callback_at, queue_score, strategy_step)
       SELECT g, 'B' || lpad(g::text, 8, '0'), 1 + g % :clients, 1 + (g::bigint * 7919) % :d, '', {STATUS},
              'b2c', 'EUR', CASE WHEN {QUEUED} AND (g * 17) % 83 < 8 THEN {COLLECTOR} END,
              CAST(:today AS date) - {AGE}, CASE WHEN {CLOSED} THEN CAST(:today AS date) END, '', :now,
              {TEAM},
              CASE WHEN NOT ({QUEUED}) THEN NULL
                   WHEN {DUE} THEN :now - interval '1 minute' * (g % 14400)
                   WHEN {LATER} THEN :now + interval '1 hour' * (1 + g % 720) END,
              CASE WHEN {QUEUED} AND {DUE} AND g % 100 = 7 THEN :now + interval '2 hours' END,
              0, {STEP_OF_AGE}
       FROM generate_series(CAST(1 AS bigint), :n) AS g""",  # noqa: S608 - constants of this module only
    """INSERT INTO claim (id, case_id, client_id, invoice_number, issue_date, due_date, amount_cents, currency,
                          description, created_at)
       SELECT c.id, c.id, c.client_id, 'F' || c.id, c.opened_on - 60, c.opened_on - 30,
              2000 + (c.id::bigint * 7877) % 2000000, 'EUR', '', :now
       FROM collection_case c""",
    """INSERT INTO ledger_entry (id, case_id, client_id, claim_id, kind, amount_cents, currency, effective_on,
                                 description, created_at)
       SELECT cl.id, cl.case_id, cl.client_id, cl.id, 'principal', cl.amount_cents, 'EUR', cl.due_date, '', :now
       FROM claim cl""",
    """INSERT INTO ledger_entry (id, case_id, client_id, kind, amount_cents, currency, effective_on, description,
                                 created_at)
       SELECT :n + cl.id, cl.case_id, cl.client_id, 'payment', -greatest(1, cl.amount_cents * (1 + cl.id % 9) / 10),
              'EUR', CAST(:today AS date) - 3, 'Virement', :now
       FROM claim cl WHERE (cl.id * 11) % 100 < 30""",
    # Slot k (1-3) of a case holds strategy step (its step - 3 + k) when there is one, else a manual action.
    f"""INSERT INTO action (id, case_id, kind, channel, direction, status, outcome, done_at, user_id, note,
                           created_at, reason, strategy_step)
       SELECT 3 * (c.id - 1) + k.k, c.id,
              coalesce(step.kind, CASE WHEN k.k = 1 THEN 'note' ELSE 'call' END),
              coalesce(step.channel, CASE WHEN k.k = 1 THEN 'internal' ELSE 'phone' END),
              'outbound', 'done',
              CASE WHEN coalesce(step.kind, 'call') = 'call' AND k.k > 1 THEN 'no_answer' ELSE '' END,
              coalesce(c.opened_on + step.day, CAST(:today AS date) - 1 - k.k) + time '10:30',
              CASE WHEN coalesce(step.kind, 'call') = 'call' THEN coalesce(c.assigned_collector_id,
                   {FIRST_COLLECTOR}) END,
              '', coalesce(c.opened_on + step.day, CAST(:today AS date) - 1 - k.k) + time '10:00', '', step.number
       FROM collection_case c
       CROSS JOIN generate_series(1, 3) AS k(k)
       LEFT JOIN {STEPS_TABLE} ON step.number = c.strategy_step - 3 + k.k""",  # noqa: S608
    """INSERT INTO promise (id, case_id, amount_cents, currency, due_on, status, created_at, resolved_at)
       SELECT c.id, c.id, 5000, 'EUR',
              CASE WHEN c.id % 100 < 2 THEN CAST(:today AS date) ELSE CAST(:today AS date) - 1 END,
              CASE WHEN c.id % 100 < 2 THEN 'pending' ELSE 'broken' END, :now - interval '10 days',
              CASE WHEN c.id % 100 >= 2 THEN :now - interval '8 hours' END
       FROM collection_case c WHERE c.id % 100 < 3 AND c.status IN ('active', 'promise')""",
]
