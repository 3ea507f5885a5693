-- Feedback on chat answers (Dify's like and dislike, with an optional comment), which an app with `annotations`
-- also keeps as a training sample.
ALTER TABLE messages ADD COLUMN rating text CHECK (rating IN ('like', 'dislike'));
ALTER TABLE messages ADD COLUMN feedback text;
