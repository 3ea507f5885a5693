-- Long work as rows: a dataset import is a job whose files wait in `dataset_uploads` until it runs, so it survives
-- a restart and any server process can report its progress or take it over when its lease runs out.

CREATE TABLE dataset_uploads (
    id bigserial PRIMARY KEY,
    dataset_id bigint NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    name text NOT NULL,
    content bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE jobs (
    id uuid PRIMARY KEY,
    kind text NOT NULL,
    dataset_id bigint REFERENCES datasets (id) ON DELETE CASCADE,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    payload jsonb NOT NULL DEFAULT '{}',
    progress jsonb NOT NULL DEFAULT '{}',
    result jsonb,
    error text,
    attempts integer NOT NULL DEFAULT 0,
    lease_owner uuid,
    lease_expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz
);
CREATE INDEX jobs_pending ON jobs (created_at) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_dataset ON jobs (dataset_id, created_at DESC);
