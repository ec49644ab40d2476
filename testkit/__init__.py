"""What the tests and the benchmarks share: doubles, servers, app builders, fixtures.

The tests (tests/) and the benchmarks (bench/) import this package, never each other, and no
test module imports another. It may import shared/, services/ and ops/, never tests/ or bench/.

- doubles: the stub broker, a fake clock, a fake mailer (the interface of the real piece each)
- tokens, events: the test installation's secrets, bearer headers, event envelopes
- polling, concurrency: waiting with a deadline; threads released together; two overlapping
  transactions (`run_overlapping`)
- databases, servers: a new database per service (SQLite or PostgreSQL), Redis, RabbitMQ, SMTP
- mesh: the three services against one broker, worker processes for real
- apps, complaints, scheduler, reporting, worked_examples: the services' apps in-process;
  complaints_domain, scheduler_domain: the packaged rules for the domains' unit tests
- malformed: broken messages for the dead-letter proofs (bench/malformed.py sends 1,000)
- migrations: databases as a version before left them
- pages: the site, Debian's chromium under Playwright and what a person does in it
- receiver: a webhook receiver on loopback
- fixtures: the pytest fixtures every layer uses (a plugin: tests/conftest.py `pytest_plugins`)
"""
