-- Training samples. A samples dataset changes one record at a time (a run writes one, a reviewer approves a few),
-- so instead of listing its members per version, each immutable revision of a sample carries the versions it
-- belongs to, [from_version, until_version): a version costs one row per changed sample, never a copy of the set.

ALTER TABLE datasets ADD COLUMN kind text NOT NULL DEFAULT 'knowledge' CHECK (kind IN ('knowledge', 'samples'));

CREATE TABLE samples (
    id bigserial PRIMARY KEY,
    dataset_id bigint NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    -- {"kind": "imported", "file": …} or {"app": …, "run": …, "node": …}
    source jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX samples_dataset ON samples (dataset_id);

CREATE TABLE sample_revisions (
    id bigserial PRIMARY KEY,
    sample_id bigint NOT NULL REFERENCES samples (id) ON DELETE CASCADE,
    dataset_id bigint NOT NULL,
    record jsonb NOT NULL,
    sha256 text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    rating smallint,
    label text,
    from_version integer NOT NULL CHECK (from_version > 0),
    until_version integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (until_version IS NULL OR until_version > from_version)
);
-- The current revision of each sample, and no two current samples of a dataset with the same record.
CREATE UNIQUE INDEX sample_revisions_current ON sample_revisions (sample_id) WHERE until_version IS NULL;
CREATE UNIQUE INDEX sample_revisions_current_record ON sample_revisions (dataset_id, sha256) WHERE until_version IS NULL;
CREATE INDEX sample_revisions_versions ON sample_revisions (dataset_id, from_version);
