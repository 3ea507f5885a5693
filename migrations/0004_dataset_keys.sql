-- Keys for the knowledge API (`/v1/datasets`), kept apart from app keys as Dify keeps them: a dataset key opens
-- every dataset and no app; an app key opens one app and no dataset. Stored only as hashes.
CREATE TABLE dataset_keys (
    id uuid PRIMARY KEY,
    prefix text NOT NULL,
    secret_hash text NOT NULL UNIQUE,
    name text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
