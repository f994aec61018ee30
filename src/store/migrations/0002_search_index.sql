-- Search index (search.html): one row per (resource, search parameter, value), for current,
-- not deleted versions only. Rows are written in the same statement as the version they
-- describe, so the index never disagrees with the data. Ranges are half-open [low, high).
-- Each table has a value index for filtering and a (resource_type, id, param) index for
-- replacing a resource's rows, sorting and _include. Composite parameters (search.html#composite)
-- store each component as a row of its own type, param 'code$N' for component N, and rows of
-- the same element share a `tuple` number so components match within one element.

CREATE TABLE search_string (
  resource_type text NOT NULL,
  id            text NOT NULL,
  param         text NOT NULL,
  tuple         smallint,       -- composite components: which element they came from
  value         text NOT NULL,  -- lower case, accents removed
  exact         text NOT NULL   -- as written, for :exact
);
CREATE INDEX search_string_value ON search_string (resource_type, param, value text_pattern_ops);
CREATE INDEX search_string_resource ON search_string (resource_type, id, param);

CREATE TABLE search_token (
  resource_type text NOT NULL,
  id            text NOT NULL,
  param         text NOT NULL,
  tuple         smallint,       -- composite components: which element they came from
  system        text,
  code          text,
  text          text            -- display / text, lower case without accents, for :text
);
CREATE INDEX search_token_value ON search_token (resource_type, param, code, system);
CREATE INDEX search_token_resource ON search_token (resource_type, id, param);

CREATE TABLE search_date (
  resource_type text        NOT NULL,
  id            text        NOT NULL,
  param         text        NOT NULL,
  tuple         smallint,       -- composite components: which element they came from
  low           timestamptz NOT NULL,
  high          timestamptz NOT NULL
);
CREATE INDEX search_date_low ON search_date (resource_type, param, low);
CREATE INDEX search_date_high ON search_date (resource_type, param, high);
CREATE INDEX search_date_resource ON search_date (resource_type, id, param);

CREATE TABLE search_number (
  resource_type text    NOT NULL,
  id            text    NOT NULL,
  param         text    NOT NULL,
  tuple         smallint,       -- composite components: which element they came from
  low           numeric NOT NULL,
  high          numeric NOT NULL
);
CREATE INDEX search_number_value ON search_number (resource_type, param, low);
CREATE INDEX search_number_resource ON search_number (resource_type, id, param);

CREATE TABLE search_quantity (
  resource_type text    NOT NULL,
  id            text    NOT NULL,
  param         text    NOT NULL,
  tuple         smallint,       -- composite components: which element they came from
  system        text,
  code          text,
  low           numeric NOT NULL,
  high          numeric NOT NULL
);
CREATE INDEX search_quantity_value ON search_quantity (resource_type, param, code, low);
CREATE INDEX search_quantity_resource ON search_quantity (resource_type, id, param);

CREATE TABLE search_reference (
  resource_type text NOT NULL,
  id            text NOT NULL,
  param         text NOT NULL,
  tuple         smallint,       -- composite components: which element they came from
  target_type   text,           -- local references: type and id
  target_id     text,
  url           text            -- absolute, urn: and canonical references
);
-- Serves reference searches, _has and _revinclude alike: each knows the referring type and param.
CREATE INDEX search_reference_target ON search_reference (resource_type, param, target_id, target_type);
CREATE INDEX search_reference_url ON search_reference (resource_type, param, url) WHERE url IS NOT NULL;
CREATE INDEX search_reference_resource ON search_reference (resource_type, id, param);

CREATE TABLE search_uri (
  resource_type text NOT NULL,
  id            text NOT NULL,
  param         text NOT NULL,
  tuple         smallint,       -- composite components: which element they came from
  value         text NOT NULL
);
CREATE INDEX search_uri_value ON search_uri (resource_type, param, value);
CREATE INDEX search_uri_resource ON search_uri (resource_type, id, param);

-- Planner statistics for the search tables. A value's selectivity depends on the parameter it
-- belongs to (code 'requested' only occurs under param 'status'), and a few values are very
-- common (an owner with thousands of Tasks) among millions of rare ones (patients), so the
-- planner gets multi-column statistics and larger samples to choose the selective side first.
ALTER TABLE search_token ALTER COLUMN code SET STATISTICS 1000;
ALTER TABLE search_reference ALTER COLUMN target_id SET STATISTICS 1000;
ALTER TABLE search_string ALTER COLUMN value SET STATISTICS 1000;
CREATE STATISTICS search_token_stats (dependencies, mcv) ON resource_type, param, code FROM search_token;
CREATE STATISTICS search_reference_stats (dependencies, mcv) ON resource_type, param, target_type, target_id FROM search_reference;
CREATE STATISTICS search_string_stats (dependencies, mcv) ON resource_type, param, value FROM search_string;
CREATE STATISTICS search_date_stats (dependencies) ON resource_type, param, low FROM search_date;
