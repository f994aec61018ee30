-- Resource bodies are kept as the JSON text CaseHub wrote (type json, not jsonb): reads and
-- searches send that text as it is, instead of rendering jsonb back to text for every resource
-- (about 45 µs each, most of an _include page's time in the database), and writes skip the
-- jsonb conversion. CaseHub writes bodies with resourceType first; rows written before this
-- migration are rewritten that way here. No query looks inside bodies (search reads the index
-- tables), so the jsonb identifier index goes too.
DROP INDEX IF EXISTS resource_identifier;

ALTER TABLE resource ALTER COLUMN content TYPE json USING (
  CASE WHEN content IS NULL THEN NULL
  ELSE ('{"resourceType":' || to_json(resource_type)::text || ',' || substr((content - 'resourceType')::text, 2))::json END);

ALTER TABLE resource_history ALTER COLUMN content TYPE json USING (
  CASE WHEN content IS NULL THEN NULL
  ELSE ('{"resourceType":' || to_json(resource_type)::text || ',' || substr((content - 'resourceType')::text, 2))::json END);
