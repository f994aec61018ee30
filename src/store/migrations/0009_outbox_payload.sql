-- The outbox rows of one resource (an onward referral being withdrawn, or made active and
-- checked for an earlier delivery) are found by payload; without this index each lookup read
-- the whole outbox, which keeps delivered rows.
CREATE INDEX outbox_payload ON outbox (payload_type, payload_id, kind);
