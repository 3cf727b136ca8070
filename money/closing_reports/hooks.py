"""Registers the closing report with `cases`: every closing asks for its report as it is committed."""

from cases import extensions
from money.closing_reports.jobs import report_closings_later

extensions.add_closed_hook(report_closings_later)
