-- CreateTable
CREATE TABLE "DeletedGroup" (
    "id" TEXT NOT NULL,
    "membersCanApprove" BOOLEAN NOT NULL,
    "membersCanInvite" BOOLEAN NOT NULL,
    "showMemberList" BOOLEAN NOT NULL,
    "deletedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DeletedGroup_pkey" PRIMARY KEY ("id")
);
