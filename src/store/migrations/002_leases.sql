-- Leases: named holds with an optional expiry. Their holds on records are rows in
-- `holds` owned by `lease:<id>` with the lease's expiry; blobs are listed here.
CREATE TABLE leases (
  id TEXT PRIMARY KEY,
  expiresAt INTEGER,
  createdAt INTEGER NOT NULL
);

CREATE TABLE leaseBlobs (
  lease TEXT NOT NULL,
  digest TEXT NOT NULL,
  PRIMARY KEY (lease, digest)
);
