"""The daily judicial run: what silence decides, next deadlines refreshed, alerts before each deadline."""

from __future__ import annotations
