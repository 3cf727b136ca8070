"""A cron configuration for the outage tests (`flask agency cron tests.agency.every_second_cron`): one
job every second, where agency.cron's most frequent runs every minute."""

from rq import cron

from agency.jobs import heartbeat

cron.register(heartbeat, "default", interval=1, name="tests.heartbeat-every-second")
