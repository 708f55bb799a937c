-- CreateIndex
CREATE INDEX "GroupEvent_memberId_groupId_id_idx" ON "GroupEvent"("memberId", "groupId", "id");
