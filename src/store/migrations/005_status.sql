-- The status page (SPEC §9): usage over time, prune and GC history, CI key lookups.
-- Each list keeps its newest rows only (core/status.ts `limits`): ids only grow, so the
-- rows to drop are those at or below max(id) - keep.
CREATE TABLE usageSamples (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  records INTEGER NOT NULL,
  used INTEGER NOT NULL,
  reclaimable INTEGER NOT NULL,
  metadata INTEGER NOT NULL,
  content INTEGER NOT NULL,
  fsSize INTEGER NOT NULL,
  fsFree INTEGER NOT NULL
);

-- One automatic GC policy run, or one prune someone asked for. `options` is the prune's
-- input as JSON; `runs` counts GC runs of one policy that freed nothing, in one row.
CREATE TABLE pruneRuns (
  id INTEGER PRIMARY KEY,
  "trigger" TEXT NOT NULL,
  policy INTEGER,
  options TEXT NOT NULL,
  startedAt INTEGER NOT NULL,
  finishedAt INTEGER NOT NULL,
  records INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  runs INTEGER NOT NULL DEFAULT 1,
  error TEXT
);

CREATE TABLE keyLookups (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  name TEXT NOT NULL,
  outcome TEXT NOT NULL,
  matched TEXT
);

-- Totals since the root was made, by outcome: keyLookups keeps only the newest.
CREATE TABLE keyCounts (
  outcome TEXT PRIMARY KEY,
  count INTEGER NOT NULL
);
