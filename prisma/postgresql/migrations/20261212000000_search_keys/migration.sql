-- Search keys with Unicode normalisation (src/domain/search.ts: `José` is `jose`). The gateway recomputes
-- the stored ones when it starts (src/db/search-keys.ts), once, in the same TypeScript as on SQLite, and
-- records that here. A database with no stored keys has nothing to recompute: it is marked done at once.
-- CreateTable
CREATE TABLE "DataMigration" (
    "name" TEXT NOT NULL,
    "appliedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DataMigration_pkey" PRIMARY KEY ("name")
);

INSERT INTO "DataMigration" ("name")
SELECT 'search-keys-2'
WHERE NOT EXISTS (SELECT 1 FROM "Group")
  AND NOT EXISTS (SELECT 1 FROM "MemberName")
  AND NOT EXISTS (SELECT 1 FROM "CreateRequest" WHERE "pendingKey" IS NOT NULL);
