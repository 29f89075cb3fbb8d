-- Records: a snapshot and/or a layer blob plus metadata (SPEC §2).
CREATE TABLE records (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL DEFAULT 'ready',
  owner TEXT,
  kind TEXT NOT NULL,
  mutable INTEGER NOT NULL,
  snapshot TEXT,
  twin TEXT,
  description TEXT NOT NULL DEFAULT '',
  recordType TEXT NOT NULL DEFAULT 'regular',
  shared INTEGER NOT NULL DEFAULT 0,
  cachePolicy TEXT NOT NULL DEFAULT 'default',
  size INTEGER,
  createdAt INTEGER NOT NULL,
  lastUsedAt INTEGER,
  usageCount INTEGER NOT NULL DEFAULT 0,
  lazy INTEGER NOT NULL DEFAULT 0,
  blobDigest TEXT,
  blobMediaType TEXT,
  blobSize INTEGER,
  blobDiffID TEXT,
  chainID TEXT,
  blobChainID TEXT
);
CREATE INDEX records_twin ON records(twin) WHERE twin IS NOT NULL;
CREATE INDEX records_snapshot ON records(snapshot);
CREATE INDEX records_state ON records(state) WHERE state <> 'ready';

-- Ordered parents: one for a layer, the inputs of a merge, lower and upper of a diff.
CREATE TABLE parents (
  child TEXT NOT NULL,
  position INTEGER NOT NULL,
  parent TEXT NOT NULL,
  PRIMARY KEY (child, position)
);
CREATE INDEX parents_parent ON parents(parent);

-- Holds keep records in use: by a live process (owner), until a time (expiresAt), or both.
CREATE TABLE holds (
  id INTEGER PRIMARY KEY,
  record TEXT NOT NULL,
  owner TEXT,
  expiresAt INTEGER,
  createdAt INTEGER NOT NULL
);
CREATE INDEX holds_record ON holds(record);
CREATE INDEX holds_owner ON holds(owner) WHERE owner IS NOT NULL;

CREATE TABLE keys (
  name TEXT PRIMARY KEY,
  record TEXT NOT NULL,
  updatedAt INTEGER NOT NULL
);
CREATE INDEX keys_record ON keys(record);

CREATE TABLE meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
