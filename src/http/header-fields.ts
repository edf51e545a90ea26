/**
 * How many fields named `name` (lower case) a request carried. Node joins some repeats into one
 * string and keeps only the first of others (Authorization among them), so only the raw list tells.
 */
export function countHeaderFields(rawHeaders: string[], name: string): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].length === name.length && rawHeaders[i].toLowerCase() === name) count++;
  }
  return count;
}
