-- Loom's first schema: apps and their immutable workflow versions, publications, API keys, runs and node runs,
-- conversations and messages, and the servers sharing this database.

CREATE TABLE apps (
    id bigserial PRIMARY KEY,
    slug text NOT NULL UNIQUE,
    name text NOT NULL,
    mode text NOT NULL CHECK (mode IN ('workflow', 'chat')),
    description text,
    draft_version integer,
    published_version integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Immutable: a row is never updated. The draft is the newest version; publishing points the app at one.
CREATE TABLE workflow_versions (
    app_id bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    number integer NOT NULL,
    source text NOT NULL,
    source_format text NOT NULL CHECK (source_format IN ('yaml', 'json')),
    canonical_json jsonb NOT NULL,
    sha256 text NOT NULL,
    author text NOT NULL,
    message text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, number)
);

-- A stack: publishing pushes; rolling back retracts the newest entries down to the previous version.
CREATE TABLE publications (
    id bigserial PRIMARY KEY,
    app_id bigint NOT NULL,
    version integer NOT NULL,
    published_by text NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    retracted_at timestamptz,
    FOREIGN KEY (app_id, version) REFERENCES workflow_versions (app_id, number) ON DELETE CASCADE
);
CREATE INDEX publications_app ON publications (app_id, id DESC);

-- Keys are stored only as SHA-256 hashes; the prefix is what lists show.
CREATE TABLE api_keys (
    id uuid PRIMARY KEY,
    app_id bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    prefix text NOT NULL,
    secret_hash text NOT NULL UNIQUE,
    name text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX api_keys_app ON api_keys (app_id);

CREATE TABLE settings (
    key text PRIMARY KEY,
    value text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Each `loom serve` process registers and beats; runs owned by a server that stopped beating are failed.
CREATE TABLE servers (
    id uuid PRIMARY KEY,
    host text NOT NULL,
    pid integer NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE conversations (
    id uuid PRIMARY KEY,
    app_id bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id text NOT NULL,
    name text NOT NULL DEFAULT '',
    inputs jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_app_user ON conversations (app_id, user_id, updated_at DESC);

CREATE TABLE runs (
    id uuid PRIMARY KEY,
    app_id bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    version integer NOT NULL,
    status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'stopped', 'partial-succeeded')),
    inputs jsonb NOT NULL,
    outputs jsonb,
    error text,
    user_id text NOT NULL,
    conversation_id uuid REFERENCES conversations (id) ON DELETE SET NULL,
    server_id uuid,
    total_tokens integer NOT NULL DEFAULT 0,
    total_steps integer NOT NULL DEFAULT 0,
    elapsed_ms double precision,
    created_at timestamptz NOT NULL,
    finished_at timestamptz
);
CREATE INDEX runs_app_created ON runs (app_id, created_at DESC);
CREATE INDEX runs_created ON runs (created_at DESC);
CREATE INDEX runs_running ON runs (server_id) WHERE status = 'running';

CREATE TABLE node_runs (
    id text PRIMARY KEY,
    run_id uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    node_id text NOT NULL,
    node_type text NOT NULL,
    title text NOT NULL,
    step integer NOT NULL,
    status text NOT NULL,
    inputs jsonb NOT NULL DEFAULT '{}',
    outputs jsonb NOT NULL DEFAULT '{}',
    error text,
    retries integer NOT NULL DEFAULT 0,
    elapsed_ms double precision NOT NULL,
    total_tokens integer NOT NULL DEFAULT 0,
    iteration_id text,
    iteration_index integer,
    finished_at timestamptz NOT NULL
);
CREATE INDEX node_runs_run ON node_runs (run_id, step);

CREATE TABLE messages (
    id uuid PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    run_id uuid NOT NULL,
    query text NOT NULL,
    answer text NOT NULL,
    inputs jsonb NOT NULL DEFAULT '{}',
    total_tokens integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);
