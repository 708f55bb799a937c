-- Search keys with Unicode normalisation (src/domain/search.ts: `José` is `jose`). SQL cannot compute them
-- on SQLite, so the gateway recomputes the stored ones when it starts (src/db/search-keys.ts), once, and
-- records that here. A database with no stored keys has nothing to recompute: it is marked done at once.
-- CreateTable
CREATE TABLE "DataMigration" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "appliedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

INSERT INTO "DataMigration" ("name")
SELECT 'search-keys-2'
WHERE NOT EXISTS (SELECT 1 FROM "Group")
  AND NOT EXISTS (SELECT 1 FROM "MemberName")
  AND NOT EXISTS (SELECT 1 FROM "CreateRequest" WHERE "pendingKey" IS NOT NULL);
