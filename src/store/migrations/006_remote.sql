-- Where blobs are known to live in registries, `HOST[:PORT]/NAME` per row: a lazy
-- record pulled from a registry fetches its blob from one of these on first use, and a
-- push mounts a blob from one on the same registry instead of sending it. Only names:
-- never credentials (they stay with the caller's flags and docker's config.json).
CREATE TABLE remoteBlobs (
  digest TEXT NOT NULL,
  repository TEXT NOT NULL,
  seenAt INTEGER NOT NULL,
  PRIMARY KEY (digest, repository)
);
