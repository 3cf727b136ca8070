"""Fixtures of the bulk work tests."""

from tests.agency.test_sms import fake_twilio  # noqa: F401 (a fixture: the local fake Twilio)
