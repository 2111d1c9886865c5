-- CreateTable
CREATE TABLE "BackupPlan" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "destination" TEXT NOT NULL,
    "schedule" TEXT,
    "compression" TEXT NOT NULL DEFAULT 'zstd',
    "keepLast" INTEGER,
    "keepDays" INTEGER,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "updatedBy" TEXT,

    CONSTRAINT "BackupPlan_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BackupRun" (
    "id" TEXT NOT NULL,
    "planId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "compression" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),
    "durationMs" INTEGER,
    "size" DOUBLE PRECISION,
    "rawSize" DOUBLE PRECISION,
    "sha256" TEXT,
    "location" TEXT,
    "error" TEXT,

    CONSTRAINT "BackupRun_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "BackupPlan_name_key" ON "BackupPlan"("name");

-- CreateIndex
CREATE INDEX "BackupRun_planId_startedAt_idx" ON "BackupRun"("planId", "startedAt");

-- CreateIndex
CREATE INDEX "BackupRun_status_idx" ON "BackupRun"("status");

-- AddForeignKey
ALTER TABLE "BackupRun" ADD CONSTRAINT "BackupRun_planId_fkey" FOREIGN KEY ("planId") REFERENCES "BackupPlan"("id") ON DELETE CASCADE ON UPDATE CASCADE;
