"""Outbound webhooks: tell an organisation's other systems what happened, signed, from the outbox.

The modules, by job: models (the tables), urls (where a delivery may go), signing, poster (one
POST), endpoints (records, commands, the handler of their event), endpoints_file (webhooks.yaml),
fanout (rows written in the producing transaction), deliveries (claims, answers, retries, the log),
sender (the worker's threads), notices (mail about a disabled endpoint); api (the routes).

An organisation's endpoints (URL, the event types wanted as patterns like `complaint.*`, a
`whsec_` secret, enabled or not) are managed through `/api/v1/webhooks` on any service
(shared/webhooks/api.py). The service that takes the change stores the endpoint and emits the
internal event `webhook.endpoint_updated` (the whole endpoint, secret included); every
service keeps a copy in its `webhook_endpoint` table, the latest `updated_at` winning, the
way `user.updated` carries the user directory (shared/users/store.py). No database is shared.

Deliveries come from the outbox: when a unit of work commits the events its service
produces, `Webhooks.add_deliveries` (fanout) writes one `webhook_delivery` row per matching enabled
endpoint *in the same transaction* (shared/mesh/service.py). A change that rolls back sends
nothing; a worker that restarts finds its rows. Internal types (`INTERNAL_TYPES`: they carry
password hashes and secrets) and events that came in from outside (`Service.accept`) are
never delivered: each service sends what it produced.

The worker's `Sender` (sender; started by shared.mesh.worker.ServiceWorker) polls for due deliveries and
gives each endpoint a thread of its own, so a slow or dead endpoint never delays another, nor
the service's own work (the Dramatiq threads). A delivery is an HTTP POST of the CloudEvents
envelope, signed per Standard Webhooks (`webhook-id` = the delivery's id, the same on every
retry; `webhook-timestamp`; `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`).
Timeouts, connection errors and non-2xx answers are retried on the schedule of
`HUIFANG_WEBHOOK_RETRY_SCHEDULE` (with +-20% jitter; about 28 hours by default), then the
delivery is dead. An endpoint failing without a single success for
`HUIFANG_WEBHOOK_DISABLE_AFTER_SECONDS` is disabled everywhere and the organisation's admins
are mailed (under a lease: at least once). Every attempt is logged (`webhook_attempt`);
delivered and dead deliveries and their attempts are pruned after
`HUIFANG_WEBHOOK_RETENTION_DAYS`.

Safety: http and https only, no credentials in the URL, no redirects followed; the host is
resolved and every address checked (loopback, private, link-local, multicast, reserved
refused unless `HUIFANG_WEBHOOK_ALLOW_PRIVATE=1`) when the endpoint is added and again before
each connection, and the connection goes to the address checked. Short timeouts; answers read
up to ANSWER_LIMIT bytes. Secrets never appear in a log line or an API answer but the one
that created them.
"""
