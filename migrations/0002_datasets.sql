-- Knowledge datasets. A document's content is stored once per version (by SHA-256) with its chunks; a dataset
-- version is a set of document versions, so a new version shares every unchanged document instead of copying it.

CREATE TABLE datasets (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    description text NOT NULL DEFAULT '',
    embedding_model text NOT NULL,
    dimensions integer NOT NULL CHECK (dimensions > 0),
    chunk_tokens integer NOT NULL CHECK (chunk_tokens > 0),
    chunk_overlap integer NOT NULL CHECK (chunk_overlap >= 0 AND chunk_overlap < chunk_tokens),
    latest_version integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE documents (
    id bigserial PRIMARY KEY,
    dataset_id bigint NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    name text NOT NULL,
    UNIQUE (dataset_id, name)
);

CREATE TABLE document_versions (
    id bigserial PRIMARY KEY,
    document_id bigint NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    sha256 text NOT NULL,
    metadata jsonb NOT NULL DEFAULT '{}',
    chunk_count integer NOT NULL,
    token_count integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (document_id, sha256)
);

CREATE TABLE chunks (
    id bigserial PRIMARY KEY,
    document_version_id bigint NOT NULL REFERENCES document_versions (id) ON DELETE CASCADE,
    position integer NOT NULL,
    content text NOT NULL,
    tokens integer NOT NULL,
    metadata jsonb NOT NULL DEFAULT '{}',
    embedding real[] NOT NULL,
    search tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
    UNIQUE (document_version_id, position)
);
CREATE INDEX chunks_search ON chunks USING gin (search);

CREATE TABLE dataset_versions (
    dataset_id bigint NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    number integer NOT NULL CHECK (number > 0),
    message text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dataset_id, number)
);

-- Checked at the end of the statement (NO ACTION), so deleting a dataset removes its versions and documents together.
CREATE TABLE dataset_version_documents (
    dataset_id bigint NOT NULL,
    number integer NOT NULL,
    document_version_id bigint NOT NULL REFERENCES document_versions (id),
    PRIMARY KEY (dataset_id, number, document_version_id),
    FOREIGN KEY (dataset_id, number) REFERENCES dataset_versions (dataset_id, number) ON DELETE CASCADE
);
CREATE INDEX dataset_version_documents_document ON dataset_version_documents (document_version_id);
