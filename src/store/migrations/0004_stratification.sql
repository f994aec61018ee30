-- Risk stratification runs (issue 5; https://hl7.org/fhir/R4/async.html): one row per run, so
-- any node can report a run's progress and an interrupted run can be taken over and resumed.
-- A run walks the registered patients in id order; each batch's RiskAssessments and proposal
-- Tasks commit in the same transaction as the run's cursor and counts, so after a crash the
-- run resumes after the last committed batch and nothing is counted or written twice.
-- A node working a run holds it by locked_by and refreshes heartbeat_at; a run whose heartbeat
-- is older than the takeover timeout is abandoned and another node may claim it.

CREATE TABLE stratification_run (
  id             uuid        PRIMARY KEY,
  cycle          text        NOT NULL,            -- first day of the cycle, YYYY-MM-DD
  status         text        NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
  assessed_at    timestamptz NOT NULL,            -- the assessment moment, fixed for the whole run
  request        jsonb       NOT NULL,            -- practices, proposal tier, thresholds
  total          integer,                         -- registered patients when the run started
  cursor         text,                            -- last patient id whose batch committed
  processed      integer     NOT NULL DEFAULT 0,  -- patients walked (assessed or skipped)
  assessed       integer     NOT NULL DEFAULT 0,  -- RiskAssessments written by this run
  already        integer     NOT NULL DEFAULT 0,  -- skipped: already assessed in this cycle
  tiers          jsonb       NOT NULL DEFAULT '{}', -- assessed per tier
  proposals      integer     NOT NULL DEFAULT 0,  -- proposal Tasks created
  on_caseload    integer     NOT NULL DEFAULT 0,  -- at or above the tier but already on the caseload
  error          text,
  locked_by      text,
  heartbeat_at   timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  started_at     timestamptz,
  finished_at    timestamptz
);
-- One unfinished run per cycle: a second request for the cycle joins the running one.
CREATE UNIQUE INDEX stratification_run_active ON stratification_run (cycle) WHERE status IN ('queued', 'running');
CREATE INDEX stratification_run_unfinished ON stratification_run (heartbeat_at) WHERE status IN ('queued', 'running');
