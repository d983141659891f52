"""The load mix of ``make load``: every kind of visitor of a large metropolis, one locust user each.

Run by ``bench/load/run.py``, which seeds the database, starts gunicorn and passes the ids to visit in the JSON file
named by ``LOAD_WORLD``. Every user also asks for the bare endpoint (``/api/v1/ping``: no database, no template)
with a small weight, so that the floor of the stack is measured in the same run, under the same load.

Weights (share of users): anonymous visitors 35, staff 25, landlords 20, metro 8, payment webhooks 4.
Think time between two requests of a user: ``LOAD_THINK_SECONDS`` (default 0: every client asks again as soon as
it is answered, a closed loop, so the concurrency is the number of requests in flight).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import re
import time
import uuid
from typing import Any

from locust import FastHttpUser, constant, task

WORLD: dict[str, Any] = json.loads(open(os.environ["LOAD_WORLD"], encoding="utf-8").read())  # noqa: SIM115
THINK = float(os.environ.get("LOAD_THINK_SECONDS", "0"))
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
BARE = "/api/v1/ping"


class Visitor(FastHttpUser):
    abstract = True
    wait_time = constant(THINK)

    @task(1)
    def bare(self) -> None:
        self.client.get(BARE, name="bare: GET /api/v1/ping")

    def log_in(self, email: str) -> None:
        page = self.client.get("/login", name="[setup] GET /login")
        match = CSRF.search(page.text or "")
        if match is None:
            raise RuntimeError("no CSRF token on /login")
        with self.client.post(
            "/login",
            data={"csrf_token": match.group(1), "email": email, "password": WORLD["password"]},
            name="[setup] POST /login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login of {email} answered {response.status_code}")

    def page(self, url: str, name: str) -> None:
        self.client.get(url, name=name)


class Anonymous(Visitor):
    """Landlords-to-be reading the public pages and running the simulator."""

    weight = 35

    @task(3)
    def home(self) -> None:
        self.page("/", "GET /")

    @task(2)
    def simulator_page(self) -> None:
        self.page("/proprietaire/simulateur", "GET /proprietaire/simulateur")

    @task(3)
    def simulate(self) -> None:
        body = {
            "commune_insee": random.choice(WORLD["communes"]),
            "surface_habitable_m2": random.randint(18, 95),
            "dpe_class": random.choice("BCDE"),
            "marginal_tax_rate": random.choice([0.11, 0.30, 0.41]),
        }
        self.client.post("/api/v1/simulations", json=body, name="POST /api/v1/simulations")

    @task(1)
    def modes(self) -> None:
        self.page("/proprietaire/formules", "GET /proprietaire/formules")

    @task(1)
    def faq(self) -> None:
        self.page("/proprietaire/questions-frequentes", "GET /proprietaire/questions-frequentes")

    @task(1)
    def about(self) -> None:
        self.page("/proprietaire/intermediation-locative", "GET /proprietaire/intermediation-locative")

    @task(1)
    def revision(self) -> None:
        self.page("/proprietaire/revision-du-loyer", "GET /proprietaire/revision-du-loyer")


class Landlord(Visitor):
    """A landlord in their space: their units, their documents."""

    weight = 20

    def on_start(self) -> None:
        self.me = random.choice(WORLD["landlords"])
        self.log_in(self.me["email"])

    @task(3)
    def home(self) -> None:
        self.page("/proprietaire/", "GET /proprietaire/")

    @task(3)
    def unit(self) -> None:
        if self.me["units"]:
            self.page(f"/proprietaire/logements/{random.choice(self.me['units'])}", "GET /proprietaire/logements/<id>")

    @task(1)
    def profile(self) -> None:
        self.page("/proprietaire/profil", "GET /proprietaire/profil")

    @task(1)
    def guarantees(self) -> None:
        self.page("/proprietaire/garanties", "GET /proprietaire/garanties")


class Staff(Visitor):
    """Social rental agency staff: capture pipeline, households, matching, rents."""

    weight = 25

    def on_start(self) -> None:
        self.me = random.choice(WORLD["staff"])
        self.log_in(self.me["email"])

    def _pick(self, key: str) -> Any:
        return random.choice(self.me[key]) if self.me[key] else None

    @task(3)
    def board(self) -> None:
        self.page("/captation/tableau", "GET /captation/tableau")

    @task(3)
    def case(self) -> None:
        if (case := self._pick("cases")) is not None:
            self.page(f"/captation/dossiers/{case}", "GET /captation/dossiers/<id>")

    @task(1)
    def capture_home(self) -> None:
        self.page("/captation/", "GET /captation/")

    @task(1)
    def agency_home(self) -> None:
        self.page("/agence/", "GET /agence/")

    @task(2)
    def households(self) -> None:
        self.page("/agence/menages", "GET /agence/menages")

    @task(2)
    def household(self) -> None:
        if (household := self._pick("households")) is not None:
            self.page(f"/agence/menages/{household}", "GET /agence/menages/<id>")

    @task(2)
    def stock(self) -> None:
        self.page("/agence/logements-disponibles", "GET /agence/logements-disponibles")

    @task(2)
    def matching(self) -> None:
        if (entry := self._pick("stock")) is not None:
            self.page(f"/agence/logements-disponibles/{entry}", "GET /agence/logements-disponibles/<id>")

    @task(1)
    def proposals(self) -> None:
        self.page("/agence/propositions", "GET /agence/propositions")

    @task(2)
    def rents(self) -> None:
        self.page("/agence/loyers", "GET /agence/loyers")

    @task(2)
    def account(self) -> None:
        if (lease := self._pick("leases")) is not None:
            self.page(f"/agence/baux/{lease}/compte", "GET /agence/baux/<id>/compte")

    @task(1)
    def arrears(self) -> None:
        self.page("/agence/impayes", "GET /agence/impayes")


class Metro(Visitor):
    """Metropolitan staff on their dashboards (aggregates only)."""

    weight = 8

    def on_start(self) -> None:
        self.log_in(WORLD["metro"])

    @task(4)
    def dashboard(self) -> None:
        self.page("/metropole/tableau-de-bord", "GET /metropole/tableau-de-bord")

    @task(1)
    def home(self) -> None:
        self.page("/metropole/", "GET /metropole/")

    @task(1)
    def targets(self) -> None:
        self.page("/metropole/objectifs", "GET /metropole/objectifs")


class StripeWebhook(Visitor):
    """Stripe's signed notifications; each event is new, about a payment Passerelle does not know."""

    weight = 4

    @task(6)
    def notify(self) -> None:
        now = int(time.time())
        event = {
            "id": f"evt_load_{uuid.uuid4().hex}",
            "object": "event",
            "type": random.choice(["payment_intent.created", "charge.updated", "payment_intent.processing"]),
            "created": now,
            "data": {"object": {"id": f"pi_load_{uuid.uuid4().hex[:16]}", "object": "payment_intent"}},
        }
        payload = json.dumps(event)
        signature = hmac.new(WORLD["webhook_secret"].encode(), f"{now}.{payload}".encode(), hashlib.sha256).hexdigest()
        self.client.post(
            "/payments/stripe/webhook",
            data=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": f"t={now},v1={signature}"},
            name="POST /payments/stripe/webhook",
        )
