"""SMS and e-mails to debtors: templates, sending, delivery status, replies, opt-outs."""
