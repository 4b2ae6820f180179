"""Artifact storage: content-addressed blobs that pipeline stages produce."""

from manufacturing.artifacts.store import ArtifactStore, StoredBlob, storage_key_for

__all__ = ["ArtifactStore", "StoredBlob", "storage_key_for"]
