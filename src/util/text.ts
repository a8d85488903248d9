// Words shared by the messages of every room.

/** `a, b, c, d, e and 3 more`: the first `few` of `items`, and how many are left out. */
export function listFew(items: readonly string[], few = 5): string {
  const shown = items.slice(0, few).join(', ');
  return items.length > few ? `${shown} and ${items.length - few} more` : shown;
}
