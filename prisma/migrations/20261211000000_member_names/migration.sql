-- Members' display names, recorded when a member signs in with a token that carries one
-- (src/auth/member-names.ts), and shown in member lists, join requests and create requests.
-- CreateTable
CREATE TABLE "MemberName" (
    "memberId" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "nameSearch" TEXT NOT NULL,
    "issuedAt" BIGINT NOT NULL,
    "updatedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
