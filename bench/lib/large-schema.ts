// A Prisma schema of the size real applications reach: 70 models (35 global, 35 per tenant) and
// 30 enums (15 of each scope), with relations, @@map, @@index, @default(uuid()) and @db.* types.
export function largeSchema(models = 70, enums = 30): string {
  const out = ['datasource db {\n  provider = "postgresql"\n  schemas  = ["public", "tenant"]\n}\n'];
  const scopeOf = (i: number) => (i % 2 === 0 ? 'public' : 'tenant');
  for (let e = 0; e < enums; e++)
    out.push(`enum Kind${e} {\n  A\n  B\n  C\n\n  @@map("kind_${e}")\n  @@schema("${scopeOf(e)}")\n}\n`);
  for (let m = 0; m < models; m++) {
    const scope = scopeOf(m);
    const sameScopeEnum = [...Array(enums).keys()].filter((e) => scopeOf(e) === scope)[m % Math.ceil(enums / 2)];
    const parent = m >= 2 ? m - 2 : undefined; // same scope as m: relations stay within a scope
    const children = m + 2 < models ? `  children${m + 2} Model${m + 2}[]\n` : '';
    out.push(
      `model Model${m} {\n  id        String   @id @default(uuid()) @db.Uuid\n  name      String   @db.VarChar(120)\n  code      String?  @db.Char(8)\n` +
        `  amount    Decimal  @default(0) @db.Decimal(12, 2)\n  kind      Kind${sameScopeEnum ?? 0}  @default(A)\n  createdAt DateTime @default(now()) @map("created_at") @db.Timestamptz(6)\n` +
        (parent === undefined
          ? ''
          : `  parentId  String?  @map("parent_id") @db.Uuid\n  parent    Model${parent}? @relation(fields: [parentId], references: [id])\n`) +
        children +
        `\n  @@index([name])\n  @@map("model_${m}")\n  @@schema("${scope}")\n}\n`,
    );
  }
  return out.join('\n');
}
