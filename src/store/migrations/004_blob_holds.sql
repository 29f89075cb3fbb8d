-- Blobs a live process is writing and no record refers to yet: gc and prune leave them
-- alone (containerd protects ingests with leases the same way). A dead owner's go at
-- the next recovery.
CREATE TABLE blobHolds (
  digest TEXT NOT NULL,
  owner TEXT NOT NULL,
  PRIMARY KEY (digest, owner)
);
CREATE INDEX blobHolds_owner ON blobHolds(owner);
