"""Layers: kinds and schemas, readers, validation and the versioned layer store."""
