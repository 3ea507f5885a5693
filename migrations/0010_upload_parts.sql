-- Uploads stored in parts as they arrive, so neither the server receiving a file nor the job reading it back holds
-- it whole. An upload is usable once complete; rows written before this migration keep their content inline.

ALTER TABLE dataset_uploads ALTER COLUMN content SET DEFAULT ''::bytea;
ALTER TABLE dataset_uploads ADD COLUMN complete boolean NOT NULL DEFAULT true;

CREATE TABLE dataset_upload_parts (
    upload_id bigint NOT NULL REFERENCES dataset_uploads (id) ON DELETE CASCADE,
    part integer NOT NULL CHECK (part >= 0),
    content bytea NOT NULL,
    PRIMARY KEY (upload_id, part)
);
-- Stored as they come: documents are often compressed already (PDF), and compressing a megabyte per part costs the
-- database more than it saves.
ALTER TABLE dataset_upload_parts ALTER COLUMN content SET STORAGE EXTERNAL;
