"""Projects and who has worked on them (layer 3); schemas, tasks and export build on this."""
