-- CreateTable
CREATE TABLE "DeletedGroup" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "membersCanApprove" BOOLEAN NOT NULL,
    "membersCanInvite" BOOLEAN NOT NULL,
    "showMemberList" BOOLEAN NOT NULL,
    "deletedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

