-- CreateTable
CREATE TABLE "App" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "sourceKind" TEXT NOT NULL,
    "gitUrl" TEXT,
    "branch" TEXT,
    "path" TEXT,
    "image" TEXT,
    "buildKind" TEXT NOT NULL DEFAULT 'dockerfile',
    "port" INTEGER NOT NULL DEFAULT 80,
    "replicas" INTEGER NOT NULL DEFAULT 1,
    "env" TEXT NOT NULL DEFAULT '{}',
    "secrets" TEXT NOT NULL DEFAULT '{}',
    "domains" TEXT NOT NULL DEFAULT '[]',
    "https" BOOLEAN NOT NULL DEFAULT true,
    "healthPath" TEXT,
    "healthCommand" TEXT,
    "healthInterval" INTEGER NOT NULL DEFAULT 2,
    "healthTimeout" INTEGER NOT NULL DEFAULT 5,
    "healthRetries" INTEGER NOT NULL DEFAULT 30,
    "drainSeconds" INTEGER NOT NULL DEFAULT 2,
    "webhookSecretSealed" TEXT,
    "deployKeySealed" TEXT,
    "deployKeyPublic" TEXT,
    "gitAuthSealed" TEXT,
    "currentDeploymentId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "updatedBy" TEXT
);

-- CreateTable
CREATE TABLE "Deployment" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "appId" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "commit" TEXT,
    "message" TEXT,
    "imageId" TEXT,
    "imageRef" TEXT,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "error" TEXT,
    "log" TEXT NOT NULL DEFAULT '',
    "rollbackOf" TEXT,
    "triggeredBy" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" DATETIME,
    CONSTRAINT "Deployment_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "App_name_key" ON "App"("name");

-- CreateIndex
CREATE INDEX "Deployment_appId_idx" ON "Deployment"("appId");

-- CreateIndex
CREATE UNIQUE INDEX "Deployment_appId_number_key" ON "Deployment"("appId", "number");
