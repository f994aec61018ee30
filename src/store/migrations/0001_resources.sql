-- Every version of every resource lives in resource_history; resource holds the current
-- version of each (type, id) so read-by-id is one primary-key lookup.
CREATE TABLE resource (
  resource_type text        NOT NULL,
  id            text        NOT NULL,
  version_id    bigint      NOT NULL,
  last_updated  timestamptz NOT NULL,
  deleted       boolean     NOT NULL DEFAULT false,
  content       jsonb,               -- NULL when deleted
  PRIMARY KEY (resource_type, id)
);

CREATE TABLE resource_history (
  resource_type text        NOT NULL,
  id            text        NOT NULL,
  version_id    bigint      NOT NULL,
  last_updated  timestamptz NOT NULL,
  method        text        NOT NULL, -- POST | PUT | PATCH | DELETE
  content       jsonb,               -- NULL for a delete
  PRIMARY KEY (resource_type, id, version_id)
);

-- Type- and system-level _history are read newest first.
CREATE INDEX resource_history_type_time ON resource_history (resource_type, last_updated DESC);
CREATE INDEX resource_history_time ON resource_history (last_updated DESC);

-- Identifier lookups for conditional create/update/delete and conditional references.
CREATE INDEX resource_identifier ON resource USING gin ((content -> 'identifier') jsonb_path_ops)
  WHERE NOT deleted;

-- Conditional create/update race guard: one row per (type, normalised criteria). Writers
-- upsert the row first, which row-locks it until commit, so two identical conditional creates
-- cannot both see "no match" and both insert (HAPI's HFJ_RES_SEARCH_URL has the same job).
CREATE TABLE conditional_guard (
  resource_type text        NOT NULL,
  criteria      text        NOT NULL,
  touched_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (resource_type, criteria)
);
