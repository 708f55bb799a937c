-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "GroupPrivacy" AS ENUM ('PUBLIC', 'PRIVATE', 'SECRET');

-- CreateEnum
CREATE TYPE "GroupRole" AS ENUM ('MEMBER', 'ADMIN');

-- CreateEnum
CREATE TYPE "RequestStatus" AS ENUM ('PENDING', 'APPROVED', 'REJECTED', 'CANCELED');

-- CreateEnum
CREATE TYPE "GroupCreationPolicy" AS ENUM ('ALL_MEMBERS', 'ADMIN_APPROVAL', 'ADMINS_ONLY');

-- CreateEnum
CREATE TYPE "GroupEventType" AS ENUM ('GROUP_CREATED', 'GROUP_UPDATED', 'GROUP_DELETED', 'MEMBER_JOINED', 'MEMBER_ADDED', 'MEMBER_LEFT', 'MEMBER_REMOVED', 'ROLE_ASSIGNED', 'ROLE_UNASSIGNED', 'JOIN_REQUEST_CREATED', 'JOIN_REQUEST_APPROVED', 'JOIN_REQUEST_REJECTED', 'JOIN_REQUEST_CANCELED');

-- CreateTable
CREATE TABLE "Group" (
    "id" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameSearch" TEXT NOT NULL,
    "description" TEXT,
    "privacy" "GroupPrivacy" NOT NULL DEFAULT 'PUBLIC',
    "coverImageUrl" TEXT,
    "createdBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "recentActivityAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "membersCount" INTEGER NOT NULL DEFAULT 0,
    "membersCanApprove" BOOLEAN NOT NULL DEFAULT false,
    "membersCanInvite" BOOLEAN NOT NULL DEFAULT false,
    "showMemberList" BOOLEAN NOT NULL DEFAULT true,

    CONSTRAINT "Group_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GroupMember" (
    "id" TEXT NOT NULL,
    "groupId" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "role" "GroupRole" NOT NULL DEFAULT 'MEMBER',
    "joinedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "GroupMember_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "JoinRequest" (
    "id" TEXT NOT NULL,
    "groupId" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "status" "RequestStatus" NOT NULL DEFAULT 'PENDING',
    "pendingKey" TEXT,
    "rejectionReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedAt" TIMESTAMP(3),
    "decidedBy" TEXT,

    CONSTRAINT "JoinRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "JoinRequestAnswer" (
    "id" TEXT NOT NULL,
    "joinRequestId" TEXT NOT NULL,
    "questionId" TEXT NOT NULL,
    "question" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "position" INTEGER NOT NULL,

    CONSTRAINT "JoinRequestAnswer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CreateRequest" (
    "id" TEXT NOT NULL,
    "status" "RequestStatus" NOT NULL DEFAULT 'PENDING',
    "requestedBy" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "privacy" "GroupPrivacy" NOT NULL DEFAULT 'PUBLIC',
    "coverImageUrl" TEXT,
    "membersCanApprove" BOOLEAN NOT NULL DEFAULT false,
    "membersCanInvite" BOOLEAN NOT NULL DEFAULT false,
    "showMemberList" BOOLEAN NOT NULL DEFAULT true,
    "groupId" TEXT,
    "rejectionReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedAt" TIMESTAMP(3),
    "decidedBy" TEXT,

    CONSTRAINT "CreateRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GroupRule" (
    "id" TEXT NOT NULL,
    "groupId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT NOT NULL,

    CONSTRAINT "GroupRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MembershipQuestion" (
    "id" TEXT NOT NULL,
    "groupId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    "required" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "MembershipQuestion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GroupsSettings" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "groupCreation" "GroupCreationPolicy" NOT NULL DEFAULT 'ADMIN_APPROVAL',
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "GroupsSettings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GroupEvent" (
    "id" SERIAL NOT NULL,
    "type" "GroupEventType" NOT NULL,
    "groupId" TEXT NOT NULL,
    "groupPrivacy" "GroupPrivacy" NOT NULL,
    "memberId" TEXT,
    "role" "GroupRole",
    "actorId" TEXT,
    "occurredAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "GroupEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Group_slug_key" ON "Group"("slug");

-- CreateIndex
CREATE INDEX "Group_privacy_idx" ON "Group"("privacy");

-- CreateIndex
CREATE INDEX "Group_nameSearch_id_idx" ON "Group"("nameSearch", "id");

-- CreateIndex
CREATE INDEX "Group_createdAt_id_idx" ON "Group"("createdAt", "id");

-- CreateIndex
CREATE INDEX "Group_membersCount_id_idx" ON "Group"("membersCount", "id");

-- CreateIndex
CREATE INDEX "Group_recentActivityAt_id_idx" ON "Group"("recentActivityAt", "id");

-- CreateIndex
CREATE INDEX "GroupMember_memberId_idx" ON "GroupMember"("memberId");

-- CreateIndex
CREATE INDEX "GroupMember_groupId_role_idx" ON "GroupMember"("groupId", "role");

-- CreateIndex
CREATE INDEX "GroupMember_groupId_joinedAt_id_idx" ON "GroupMember"("groupId", "joinedAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "GroupMember_groupId_memberId_key" ON "GroupMember"("groupId", "memberId");

-- CreateIndex
CREATE UNIQUE INDEX "JoinRequest_pendingKey_key" ON "JoinRequest"("pendingKey");

-- CreateIndex
CREATE INDEX "JoinRequest_groupId_status_createdAt_id_idx" ON "JoinRequest"("groupId", "status", "createdAt", "id");

-- CreateIndex
CREATE INDEX "JoinRequest_memberId_idx" ON "JoinRequest"("memberId");

-- CreateIndex
CREATE INDEX "JoinRequestAnswer_joinRequestId_position_idx" ON "JoinRequestAnswer"("joinRequestId", "position");

-- CreateIndex
CREATE UNIQUE INDEX "CreateRequest_groupId_key" ON "CreateRequest"("groupId");

-- CreateIndex
CREATE INDEX "CreateRequest_status_createdAt_id_idx" ON "CreateRequest"("status", "createdAt", "id");

-- CreateIndex
CREATE INDEX "CreateRequest_requestedBy_createdAt_id_idx" ON "CreateRequest"("requestedBy", "createdAt", "id");

-- CreateIndex
CREATE INDEX "GroupRule_groupId_position_idx" ON "GroupRule"("groupId", "position");

-- CreateIndex
CREATE INDEX "MembershipQuestion_groupId_position_idx" ON "MembershipQuestion"("groupId", "position");

-- CreateIndex
CREATE INDEX "GroupEvent_groupId_id_idx" ON "GroupEvent"("groupId", "id");

-- AddForeignKey
ALTER TABLE "GroupMember" ADD CONSTRAINT "GroupMember_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "Group"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "JoinRequest" ADD CONSTRAINT "JoinRequest_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "Group"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "JoinRequestAnswer" ADD CONSTRAINT "JoinRequestAnswer_joinRequestId_fkey" FOREIGN KEY ("joinRequestId") REFERENCES "JoinRequest"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CreateRequest" ADD CONSTRAINT "CreateRequest_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "Group"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GroupRule" ADD CONSTRAINT "GroupRule_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "Group"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MembershipQuestion" ADD CONSTRAINT "MembershipQuestion_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "Group"("id") ON DELETE CASCADE ON UPDATE CASCADE;

