"""Artifact storage: content-addressed blobs that pipeline stages produce."""

from manufacturing.artifacts.store import ArtifactStore, OrphanSweep, StagedBlob, StoredBlob, storage_key_for

__all__ = ["ArtifactStore", "OrphanSweep", "StagedBlob", "StoredBlob", "storage_key_for"]
