-- Feedback on chat answers (Dify's like and dislike, with an optional comment), which an app with `annotations`
-- also keeps as a training sample.
ALTER TABLE messages ADD COLUMN rating text CHECK (rating IN ('like', 'dislike'));
ALTER TABLE messages ADD COLUMN feedback text;

-- Annotation reply: a chat query answered from an approved sample instead of running the app.
CREATE TABLE annotation_hits (
    id bigserial PRIMARY KEY,
    sample_id bigint NOT NULL REFERENCES samples (id) ON DELETE CASCADE,
    app_id bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    message_id uuid NOT NULL,
    query text NOT NULL,
    score real NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX annotation_hits_sample ON annotation_hits (sample_id, created_at);
