-- The join requests of one status across groups, oldest first: a Groups Manager's queue of pending requests
-- (Viewer.joinRequestsToDecide) reads it in order instead of sorting every request of the site.
-- CreateIndex
CREATE INDEX "JoinRequest_status_createdAt_id_idx" ON "JoinRequest"("status", "createdAt", "id");
