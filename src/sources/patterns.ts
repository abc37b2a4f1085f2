/**
 * Drop-folder file patterns (`*.csv`, `cdr_*`, `Master?.csv`): `*` is any run of characters, `?` one character.
 * Matched against the file name only, case-insensitively (PBXs on Windows write `.CSV`).
 */
export function fileNameMatcher(patterns: readonly string[]): (name: string) => boolean {
  const regexes = patterns.map(globToRegExp);
  return (name) => regexes.some((re) => re.test(name));
}

function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (const ch of pattern) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else out += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 'is');
}

/**
 * Names writers use while a file is still being written, before they rename it into place:
 * dotfiles, `*.tmp` and `*.part`. They are never picked up; see drop.ts for how a rename into place is recognised.
 */
export function isTemporaryName(name: string): boolean {
  return name.startsWith('.') || /\.(tmp|part)$/i.test(name);
}
