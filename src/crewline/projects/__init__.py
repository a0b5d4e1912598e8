"""Projects and who has worked on them (layer 3). Schemas, guidelines, tasks and export build on this."""
