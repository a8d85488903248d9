// One declarative seed file: its table, key, references to other tables and rows, checked in
// full (structure, every row, duplicate keys) without a database. See docs/seed-backup.md.
//
//   { "table": "policy_rules", "key": ["role", "resource", "action"],
//     "references": { "role": { "column": "role_id", "table": "roles", "by": "name" } },
//     "rows": [ { "role": "admin", "resource": "companies", "action": "read" } ] }

export interface TableRef {
  /** Absent: `public` for a global set, each tenant schema for a tenant set. */
  schema?: string;
  name: string;
}

export interface Reference {
  /** The row field that names the referenced row, e.g. `role`. */
  field: string;
  /** The column of this set's table that gets the referenced row's `select` value, e.g. `role_id`. */
  column: string;
  table: TableRef;
  /** Columns of the referenced table that the field's value matches (an object for several). */
  by: string[];
  /** The referenced table's column copied into `column`. Default `id`. */
  select: string;
}

export interface DataSet {
  kind: 'data';
  file: string;
  name: string;
  table: TableRef;
  tenant: boolean;
  /** Row fields that identify a row; a reference field stands for its column. */
  key: string[];
  references: Reference[];
  rows: Array<Record<string, unknown>>;
}

type Json = Record<string, unknown>;
const TOP_LEVEL = ['name', 'table', 'tenant', 'key', 'references', 'rows', 'description'];
const REFERENCE_FIELDS = ['column', 'table', 'by', 'select'];

export function parseDataSet(file: string, defaultName: string, doc: unknown, problems: string[]): DataSet | undefined {
  const before = problems.length;
  const bad = (what: string) => void problems.push(`${file}: ${what}`);
  if (!isObject(doc)) return bad('must be a JSON object with "table", "key" and "rows"');
  for (const k of Object.keys(doc))
    if (!TOP_LEVEL.includes(k)) bad(`unknown property "${k}" (expected ${TOP_LEVEL.join(', ')})`);
  const table = parseTable(doc.table, '"table"', bad);
  if (doc.tenant !== undefined && typeof doc.tenant !== 'boolean') bad('"tenant" must be true or false');
  const tenant = doc.tenant === true;
  if (tenant && table?.schema)
    bad(`"table" of a tenant set must not name a schema: it is applied in every tenant schema`);
  if (doc.name !== undefined && (typeof doc.name !== 'string' || !doc.name.trim()))
    bad('"name" must be a non-empty string');
  const key = stringList(doc.key, '"key"', bad);
  const references = parseReferences(doc.references, bad);
  if (!Array.isArray(doc.rows)) bad('"rows" must be an array of objects');
  if (!table || !key || !Array.isArray(doc.rows)) return undefined;

  const set: DataSet = {
    kind: 'data',
    file,
    name: typeof doc.name === 'string' ? doc.name : defaultName,
    table,
    tenant,
    key,
    references,
    rows: doc.rows as Json[],
  };
  checkRows(set, bad);
  return problems.length > before ? undefined : set;
}

function parseTable(value: unknown, what: string, bad: (m: string) => void): TableRef | undefined {
  if (typeof value !== 'string' || !/^[^.]*[^.\s][^.]*(\.[^.]*[^.\s][^.]*)?$/.test(value)) {
    bad(`${what} must be a table name, "name" or "schema.name"`);
    return undefined;
  }
  const [a, b] = value.split('.');
  return b === undefined ? { name: a! } : { schema: a!, name: b };
}

function stringList(value: unknown, what: string, bad: (m: string) => void): string[] | undefined {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string' && v.length > 0)) {
    bad(`${what} must be a column name or a non-empty array of them`);
    return undefined;
  }
  if (new Set(list).size !== list.length) bad(`${what} names a column twice`);
  return list as string[];
}

function parseReferences(value: unknown, bad: (m: string) => void): Reference[] {
  if (value === undefined) return [];
  if (!isObject(value)) {
    bad('"references" must be an object: field -> { "column", "table", "by" }');
    return [];
  }
  const refs: Reference[] = [];
  for (const [field, spec] of Object.entries(value)) {
    const where = `reference "${field}"`;
    if (!isObject(spec)) {
      bad(`${where} must be an object with "column", "table" and "by"`);
      continue;
    }
    for (const k of Object.keys(spec))
      if (!REFERENCE_FIELDS.includes(k))
        bad(`${where}: unknown property "${k}" (expected ${REFERENCE_FIELDS.join(', ')})`);
    const table = parseTable(spec.table, `${where}: "table"`, bad);
    const by = stringList(spec.by, `${where}: "by"`, bad);
    const column =
      typeof spec.column === 'string' && spec.column
        ? spec.column
        : void bad(`${where}: "column" must name the column it fills (e.g. "${field}_id")`);
    if (spec.select !== undefined && (typeof spec.select !== 'string' || !spec.select))
      bad(`${where}: "select" must be a column name`);
    if (table && by && column)
      refs.push({ field, column, table, by, select: typeof spec.select === 'string' ? spec.select : 'id' });
  }
  return refs;
}

function checkRows(set: DataSet, bad: (m: string) => void): void {
  const refs = new Map(set.references.map((r) => [r.field, r]));
  const seen = new Map<string, number>();
  set.rows.forEach((row, i) => {
    const at = `row ${i + 1}`;
    if (!isObject(row)) return bad(`${at}: must be an object of column values`);
    const label = `${at} (${describeKey(set, row)})`;
    for (const field of set.key) {
      if (row[field] === undefined || row[field] === null) bad(`${label}: key field "${field}" is missing or null`);
    }
    for (const ref of refs.values()) {
      if (ref.column in row && ref.field in row)
        bad(`${label}: gives both "${ref.field}" and its column "${ref.column}": give one of them`);
      const v = row[ref.field];
      if (v !== undefined && v !== null && !validLookup(ref, v)) {
        bad(
          `${label}: "${ref.field}" must be ${ref.by.length === 1 ? `the referenced row's ${ref.by[0]}` : `an object with ${ref.by.join(', ')}`}`,
        );
      }
    }
    const k = JSON.stringify(set.key.map((f) => row[f]));
    const first = seen.get(k);
    if (first !== undefined) bad(`${label}: same key as row ${first} (each key may appear once)`);
    else seen.set(k, i + 1);
  });
}

function validLookup(ref: Reference, v: unknown): boolean {
  if (ref.by.length === 1) return ['string', 'number', 'boolean'].includes(typeof v);
  return (
    isObject(v) && ref.by.every((b) => v[b] !== undefined && v[b] !== null) && Object.keys(v).length === ref.by.length
  );
}

/** `name="admin"`, used in every message about a row. */
export function describeKey(set: Pick<DataSet, 'key'>, row: Json): string {
  return set.key.map((f) => `${f}=${row[f] === undefined ? '?' : JSON.stringify(row[f])}`).join(', ');
}

export function qualified(t: TableRef, schema: string): string {
  return `${t.schema ?? schema}.${t.name}`;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
