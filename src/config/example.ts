/**
 * A value as one writes it in the YAML file: plain where YAML reads it back as the same string, single-quoted
 * otherwise ('^\d{3}$', '08:00', 'yes'), numbers and true/false as they are.
 */
export function yamlScalar(value: unknown): string {
  if (typeof value !== 'string') return JSON.stringify(value);
  const plain = /^[A-Za-z_/.$~][\w./@+$~-]*$/.test(value) || /^[A-Za-z][\w.+-]*:\/\/[\w./@:%?=&+-]*$/.test(value);
  const special = /^(true|false|yes|no|on|off|null|~|y|n)$/i.test(value);
  return plain && !special ? value : `'${value.replace(/'/g, "''")}'`;
}

/**
 * The first example a field's description gives ("…, e.g. \"Europe/Stockholm\"", "(e.g. https://x.example.com)"):
 * where the file has no default to show, the schema's own words usually have one.
 */
export function exampleInDescription(description: string | undefined): string | undefined {
  const match = /(?:e\.g\.|for example|such as)\s+(?:"([^"]+)"|`([^`]+)`|([^\s,;()"`]+?))(?=[,;)]|\.?\s|\.?$)/.exec(description ?? '');
  return match ? (match[1] ?? match[2] ?? match[3]) : undefined;
}
