-- Search keys, version 3 (src/domain/search.ts): the Latin letters that have no accent to strip are spelled
-- in ASCII, as slugs spell them (`Łódź` is `lodz`, `Øster` is `oster`, `Æble` is `aeble`). The gateway
-- recomputes the stored keys when it starts (src/db/search-keys.ts), once, and records that here. A database
-- with no stored keys has nothing to recompute: it is marked done at once.
INSERT INTO "DataMigration" ("name")
SELECT 'search-keys-3'
WHERE NOT EXISTS (SELECT 1 FROM "Group")
  AND NOT EXISTS (SELECT 1 FROM "MemberName")
  AND NOT EXISTS (SELECT 1 FROM "CreateRequest" WHERE "pendingKey" IS NOT NULL);
