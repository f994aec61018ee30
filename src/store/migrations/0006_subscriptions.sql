-- R4 Subscription notifications (subscription.html, issue 6 "GP notification") go through the
-- same outbox as onward referrals. They have no Endpoint resource (the Subscription's channel
-- says where they go), so endpoint_id may be empty; subscription_id names the Subscription and
-- payload_version the version of the resource that triggered the notification.
--
-- Notifications about one resource for one Subscription must arrive in the order they were
-- made: rows sharing an order_key are claimed one at a time, oldest (seq) first, and a row is
-- not handed out while an earlier row with its key is still pending (see CLAIM in routing/sql.ts).
-- seq is taken when the row is inserted, after the write holding the resource's row lock, so
-- for one resource it follows the order of the writes' commits.
ALTER TABLE outbox ALTER COLUMN endpoint_id DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN subscription_id text;
ALTER TABLE outbox ADD COLUMN payload_version text;
ALTER TABLE outbox ADD COLUMN order_key text;
ALTER TABLE outbox ADD COLUMN seq bigserial;

CREATE INDEX outbox_order ON outbox (order_key, seq) WHERE status = 'pending' AND order_key IS NOT NULL;

