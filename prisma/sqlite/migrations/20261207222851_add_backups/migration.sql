-- CreateTable
CREATE TABLE "BackupPlan" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "destination" TEXT NOT NULL,
    "schedule" TEXT,
    "compression" TEXT NOT NULL DEFAULT 'zstd',
    "keepLast" INTEGER,
    "keepDays" INTEGER,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "updatedBy" TEXT
);

-- CreateTable
CREATE TABLE "BackupRun" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "planId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "compression" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" DATETIME,
    "durationMs" INTEGER,
    "size" REAL,
    "rawSize" REAL,
    "sha256" TEXT,
    "location" TEXT,
    "error" TEXT,
    CONSTRAINT "BackupRun_planId_fkey" FOREIGN KEY ("planId") REFERENCES "BackupPlan" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "BackupPlan_name_key" ON "BackupPlan"("name");

-- CreateIndex
CREATE INDEX "BackupRun_planId_startedAt_idx" ON "BackupRun"("planId", "startedAt");

-- CreateIndex
CREATE INDEX "BackupRun_status_idx" ON "BackupRun"("status");
