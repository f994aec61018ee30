-- Durable outbox for onward referral routing (issue 6; STYLE.md "routing/ durable outbox").
-- A row is inserted in the same transaction as the write that asks for a delivery, so it
-- commits with that write or not at all. Workers claim due rows with FOR UPDATE SKIP LOCKED
-- (locked_by/locked_at mark a claim; a claim older than the lock timeout is abandoned and
-- may be taken again), deliver, and mark them delivered, reschedule them, or dead-letter them.

CREATE TABLE outbox (
  id               uuid        PRIMARY KEY,
  kind             text        NOT NULL DEFAULT 'onward-referral',
  endpoint_id      text        NOT NULL,              -- Endpoint/{id} delivered to
  service_id       text,                              -- HealthcareService/{id} it is for
  payload_type     text        NOT NULL,              -- e.g. 'ServiceRequest'
  payload_id       text        NOT NULL,              -- the resource delivered (read at delivery)
  task_id          text,                              -- CaseHub's tracking Task
  status           text        NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts         integer     NOT NULL DEFAULT 0,
  max_attempts     integer     NOT NULL DEFAULT 8,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  locked_by        text,
  locked_at        timestamptz,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz
);
-- The claim query: due pending rows, oldest first.
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_dead ON outbox (endpoint_id) WHERE status = 'dead';
