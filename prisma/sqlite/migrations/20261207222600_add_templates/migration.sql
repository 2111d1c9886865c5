-- CreateTable
CREATE TABLE "StackSecret" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "stack" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "valueSealed" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "TemplateCatalogue" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "url" TEXT,
    "content" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "addedBy" TEXT
);

-- CreateTable
CREATE TABLE "TemplateStack" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "stack" TEXT NOT NULL,
    "catalogue" TEXT NOT NULL,
    "template" TEXT NOT NULL,
    "values" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "updatedBy" TEXT
);

-- CreateIndex
CREATE UNIQUE INDEX "StackSecret_stack_key_key" ON "StackSecret"("stack", "key");

-- CreateIndex
CREATE UNIQUE INDEX "TemplateCatalogue_name_key" ON "TemplateCatalogue"("name");

-- CreateIndex
CREATE UNIQUE INDEX "TemplateStack_stack_key" ON "TemplateStack"("stack");
