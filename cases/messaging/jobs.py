"""Background jobs of cases.messaging: automatic SMS and e-mails (strategy steps, promise reminders).

Each job reloads the case and re-checks it before writing: a paid or closed case gets nothing, and
the senders themselves ask the contact rules and never send twice for one strategy step, so a
retried job does no harm.
"""

from __future__ import annotations

from agency.db import db
from agency.jobs import get_queue, job
from cases import ledger
from cases.contact_rules import may_contact
from cases.messaging import delivery  # noqa: F401 (declares the SMS delivery jobs, for workers and the scheduler)
from cases.messaging.email import send_case_email
from cases.messaging.sms import send_case_sms
from cases.models import Action, ActionStatus, Case, CaseStatus

SENDERS = {"sms": send_case_sms, "email": send_case_email}


# An e-mail is sent within the job (SMTP, each operation bounded by SMTP_TIMEOUT); an SMS is only recorded.
@job(timeout=120)
def send_case_message_job(case_id: int, channel: str, template: str, strategy_step: int | None = None) -> int | None:
    """Send an automatic message of `channel` for a case; return the action's id, None if nothing was due."""
    case = db.session.get(Case, case_id)
    if case is None or not _still_owing(case):
        return None
    action = SENDERS[channel](case, template, actor=None, strategy_step=strategy_step)
    db.session.flush()
    _retry_later(action, case_id, channel, template, strategy_step)
    return action.id


def _still_owing(case: Case) -> bool:
    if not CaseStatus(case.status).is_open:
        return False
    return ledger.balance(case.id).outstanding > 0


def _retry_later(action: Action, case_id: int, channel: str, template: str, strategy_step: int | None) -> None:
    """A strategy step refused only for the hour (left open by the sender) is sent again when allowed."""
    step_left_open = action.status == ActionStatus.BLOCKED and action.strategy_step is None
    queue = get_queue()
    if strategy_step is None or not step_left_open or not queue.is_async:
        # Embedded mode has no delayed jobs: the strategy's next daily run finds the step open and asks again.
        return
    when = may_contact(action.case, channel).next_allowed_at
    if when is not None:
        queue.enqueue_at(when, send_case_message_job, case_id, channel, template, strategy_step,
                         job_id=f"message-{case_id}-{strategy_step}", retry=send_case_message_job.retry,
                         job_timeout=send_case_message_job.timeout)
