-- Status back by polling (issue 6: "CaseHub can also poll the receiver's copy"): once an onward
-- referral is delivered, the receiver's answer names where it put its copy of the Task; with
-- CASEHUB_STATUS_POLL_MS set, CaseHub reads that copy every so often and mirrors its status to
-- the tracking Task, until the tracking Task reaches a final state. Pollers claim due rows with
-- FOR UPDATE SKIP LOCKED, as the delivery workers do, so several processes may poll side by side.
ALTER TABLE outbox ADD COLUMN receiver_task text;          -- location of the receiver's Task (relative to the Endpoint's address, or absolute)
ALTER TABLE outbox ADD COLUMN poll_at timestamptz;         -- next poll; NULL: not polled
CREATE INDEX outbox_poll ON outbox (poll_at) WHERE poll_at IS NOT NULL;
