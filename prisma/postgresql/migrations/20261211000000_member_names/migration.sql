-- Members' display names, recorded when a member signs in with a token that carries one
-- (src/auth/member-names.ts), and shown in member lists, join requests and create requests.
-- CreateTable
CREATE TABLE "MemberName" (
    "memberId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameSearch" TEXT NOT NULL,
    "issuedAt" BIGINT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MemberName_pkey" PRIMARY KEY ("memberId")
);
