-- CreateTable
CREATE TABLE "StackSecret" (
    "id" TEXT NOT NULL,
    "stack" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "valueSealed" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "StackSecret_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TemplateCatalogue" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "url" TEXT,
    "content" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "addedBy" TEXT,

    CONSTRAINT "TemplateCatalogue_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TemplateStack" (
    "id" TEXT NOT NULL,
    "stack" TEXT NOT NULL,
    "catalogue" TEXT NOT NULL,
    "template" TEXT NOT NULL,
    "values" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "updatedBy" TEXT,

    CONSTRAINT "TemplateStack_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "StackSecret_stack_key_key" ON "StackSecret"("stack", "key");

-- CreateIndex
CREATE UNIQUE INDEX "TemplateCatalogue_name_key" ON "TemplateCatalogue"("name");

-- CreateIndex
CREATE UNIQUE INDEX "TemplateStack_stack_key" ON "TemplateStack"("stack");
