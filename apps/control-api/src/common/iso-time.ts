/** A timestamp column (a Date, or the string pg gives for some types) as ISO 8601 for an API view; null stays null. */
export function isoOrNull(t: Date | string | null | undefined): string | null {
  return t == null ? null : new Date(t).toISOString();
}
