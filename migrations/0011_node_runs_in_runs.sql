-- A run's node runs move into the run's own row, as a JSON array ordered by step. They are only ever written
-- with their run and read by their run; as rows of their own, each run cost three more inserts, two index
-- entries each, a foreign-key check and a conflict check apiece: about 40% of PostgreSQL's CPU per recorded
-- run under load (loom bench http).
ALTER TABLE runs ADD COLUMN node_runs jsonb NOT NULL DEFAULT '[]';

UPDATE runs r SET node_runs = n.nodes
FROM (
    SELECT run_id, jsonb_agg(jsonb_build_object(
        'id', id, 'node_id', node_id, 'node_type', node_type, 'title', title, 'step', step, 'status', status,
        'inputs', inputs, 'outputs', outputs, 'error', error, 'retries', retries, 'elapsed_ms', elapsed_ms,
        'total_tokens', total_tokens, 'iteration_id', iteration_id, 'iteration_index', iteration_index,
        'finished_at', extract(epoch FROM finished_at)) ORDER BY step, finished_at) AS nodes
    FROM node_runs GROUP BY run_id
) n
WHERE n.run_id = r.id;

DROP TABLE node_runs;
