"""The people `bench.desk_load` simulates (a locust file, run by locust's own command, not imported by the bench).

Fifty collectors work the desk: "Next" in the queue (which opens the leased case), a case page, a call recorded
("no answer", with a note), a search by name or reference. Ten client users follow their cases in the portal: the
list, one of their cases, the dashboard, the payments. Each waits 5 to 15 seconds between two actions, as people
do. Accounts, case ids and search terms come from the JSON file named by DESK_LOAD_PLAN (written by
bench.desk_load); each simulated person signs in once through the real login form with its own account.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading

from locust import HttpUser, between, task

PLAN = json.loads(open(os.environ["DESK_LOAD_PLAN"], encoding="utf-8").read())
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_accounts = {"collector": itertools.cycle(PLAN["collectors"]), "client": itertools.cycle(PLAN["clients"])}
_lock = threading.Lock()


class Person(HttpUser):
    abstract = True
    wait_time = between(5, 15)
    kind = ""

    def on_start(self) -> None:
        with _lock:
            self.account = next(_accounts[self.kind])
        page = self.client.get("/login", name="sign in")
        self.client.post("/login", name="sign in", data={
            "email": self.account["email"], "password": PLAN["password"], "csrf_token": self.token_of(page.text)})
        self.csrf = self.token_of(self.client.get("/account/password", name="account").text)

    @staticmethod
    def token_of(html: str) -> str:
        found = CSRF.search(html)
        return found.group(1) if found else ""


class Collector(Person):
    fixed_count = 50
    kind = "collector"

    @task(3)
    def next_case(self) -> None:
        self.client.post("/queue/next", name="queue: next", data={"csrf_token": self.csrf})

    @task(3)
    def case_page(self) -> None:
        self.client.get(f"/cases/{random.choice(PLAN['case_ids'])}", name="case page")

    @task(2)
    def call(self) -> None:
        case_id = random.choice(PLAN["case_ids"])
        with self.client.post(f"/cases/{case_id}/call", name="call recorded", catch_response=True, data={
                "csrf_token": self.csrf, "outcome": "no_answer", "note": "Pas de réponse, messagerie pleine."}) as done:
            # Recorded (the case page after its redirect), or refused by the contact rules at this hour (409):
            # both are the platform answering as it should.
            if done.status_code == 409:
                done.success()

    @task(2)
    def search(self) -> None:
        self.client.get("/cases/", params={"q": random.choice(PLAN["terms"])}, name="search")

    @task(1)
    def case_list(self) -> None:
        self.client.get("/cases/", name="case list")


class ClientUser(Person):
    fixed_count = 10
    kind = "client"

    @task(3)
    def cases(self) -> None:
        self.client.get("/cases/", name="portal: cases")

    @task(3)
    def one_case(self) -> None:
        self.client.get(f"/cases/{random.choice(self.account['case_ids'])}", name="portal: case page")

    @task(1)
    def dashboard(self) -> None:
        self.client.get("/reports", name="portal: dashboard")

    @task(1)
    def payments(self) -> None:
        self.client.get("/payments", name="portal: payments")
