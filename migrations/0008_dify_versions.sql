-- A version may come from a Dify DSL: its source is the DSL as written, its canonical JSON the Loom workflow it
-- was mapped onto (which is what runs, so a later change of mapping never changes a stored version).
ALTER TABLE workflow_versions DROP CONSTRAINT workflow_versions_source_format_check;
ALTER TABLE workflow_versions ADD CONSTRAINT workflow_versions_source_format_check CHECK (source_format IN ('yaml', 'json', 'dify'));
