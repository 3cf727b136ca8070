"""Alerts for managers: rules that fire once per occurrence, the notification area and the e-mail digest."""
