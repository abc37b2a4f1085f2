const marker = (name: string, end = false) => `<!-- generated:${name}${end ? ':end' : ''} -->`;

/** `text` with the body between each section's markers replaced; throws naming `file` when a marker is missing. */
export function renderSections(text: string, sections: Record<string, string>, file: string): string {
  let out = text;
  for (const [name, body] of Object.entries(sections)) {
    const start = out.indexOf(marker(name));
    const end = out.indexOf(marker(name, true));
    if (start < 0 || end < start) throw new Error(`${file} lacks the markers ${marker(name)} … ${marker(name, true)}`);
    out = `${out.slice(0, start + marker(name).length)}\n${body}\n${out.slice(end)}`;
  }
  return out;
}
