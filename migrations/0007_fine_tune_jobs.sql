-- Fine-tune jobs, in OpenAI's shape. A job trains on one version of a samples dataset, so what it learnt from is
-- fixed however the dataset changes later. Workers claim queued jobs (FOR UPDATE SKIP LOCKED) under a lease they
-- renew while training; a job whose lease lapsed (its worker died) is claimed again and resumes from its last
-- checkpoint.

CREATE TABLE fine_tune_jobs (
    id text PRIMARY KEY,
    model text NOT NULL,
    dataset_id bigint NOT NULL REFERENCES datasets (id),
    dataset_version integer NOT NULL,
    validation_dataset_id bigint REFERENCES datasets (id),
    validation_version integer,
    hyperparameters jsonb NOT NULL,
    suffix text,
    seed bigint NOT NULL,
    status text NOT NULL CHECK (status IN ('validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled')),
    fine_tuned_model text UNIQUE,
    error jsonb,
    trained_tokens bigint NOT NULL DEFAULT 0,
    -- The latest step report: step, total steps, epoch, losses, tokens/s.
    progress jsonb NOT NULL DEFAULT '{}',
    attempts integer NOT NULL DEFAULT 0,
    lease_owner uuid,
    lease_expires_at timestamptz,
    cancel_requested boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz
);
CREATE INDEX fine_tune_jobs_pending ON fine_tune_jobs (created_at) WHERE status IN ('queued', 'running');

CREATE TABLE fine_tune_events (
    id bigserial PRIMARY KEY,
    job_id text NOT NULL REFERENCES fine_tune_jobs (id) ON DELETE CASCADE,
    level text NOT NULL CHECK (level IN ('info', 'warn', 'error')),
    message text NOT NULL,
    data jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fine_tune_events_job ON fine_tune_events (job_id, id);

CREATE TABLE fine_tune_checkpoints (
    id text PRIMARY KEY,
    job_id text NOT NULL REFERENCES fine_tune_jobs (id) ON DELETE CASCADE,
    step integer NOT NULL,
    path text NOT NULL,
    sha256 text NOT NULL,
    metrics jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (job_id, step)
);
