-- Conversation variables of chat apps: the values one turn leaves for the next, saved with that turn's message.
ALTER TABLE conversations ADD COLUMN variables jsonb NOT NULL DEFAULT '{}'::jsonb;
