-- Blobs in the content store: one row per digest. Compression variants of one layer
-- share a diffID, which links them.
CREATE TABLE blobs (
  digest TEXT PRIMARY KEY,
  mediaType TEXT NOT NULL,
  size INTEGER NOT NULL,
  diffID TEXT NOT NULL,
  createdAt INTEGER NOT NULL
);
CREATE INDEX blobs_diffID ON blobs(diffID);
CREATE INDEX records_blobChainID ON records(blobChainID) WHERE blobChainID IS NOT NULL;
CREATE INDEX records_chainID ON records(chainID) WHERE chainID IS NOT NULL;
-- Rows a live process is working on: being created, or having their snapshot made.
CREATE INDEX records_owner ON records(owner) WHERE owner IS NOT NULL;
