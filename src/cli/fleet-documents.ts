// A fleet target's JSON documents (what its run gave `out.data`, in order), kept as a list, and the
// one object its entry in the fleet's document holds. A run writes one document, or several with
// keys of their own; two that give the same key would lose one of them silently, which is a bug in
// migrate-tool: it is thrown (the target then fails with an internal error), never merged.
export function mergeDocuments(docs: readonly unknown[]): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const doc of docs) {
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
      throw new Error(`a target's JSON document is not an object: ${JSON.stringify(doc)}`);
    for (const [key, value] of Object.entries(doc)) {
      if (Object.hasOwn(merged, key)) throw new Error(`two JSON documents of one target both give "${key}"`);
      merged[key] = value;
    }
  }
  return merged;
}
