-- At most one pending create request per member and name (CreateRequest.pendingKey, set by the domain while a
-- request is PENDING, null once it is decided or canceled). Requests already in the table keep a null key,
-- so pending duplicates filed before this rule cannot make the unique index fail. The domain compares a new
-- request with a member's unkeyed pending ones by reading them, so those still count as duplicates.
ALTER TABLE "CreateRequest" ADD COLUMN "pendingKey" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "CreateRequest_pendingKey_key" ON "CreateRequest"("pendingKey");
