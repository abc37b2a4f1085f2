import type { StatusReport } from './report.js';

/**
 * Absolute filesystem paths out of text shown over HTTP without authentication (`/status`, `/readyz`): reasons and
 * source problems name recordings and folders ("recording /var/spool/asterisk/monitor/x.wav not found"), which
 * tell anyone who can reach the port how the host is laid out.
 *
 * Every absolute path becomes `<path>/` + its last part: the directories go, the file name stays. The file name is
 * what the administrator needs to match an error to a call or a file (it usually is the call's id or time), and it
 * says nothing about the host; the full path stays available on the host itself (`callbridge status`, the log).
 * Recognised: POSIX paths of at least one directory (`/a/b`; a lone `/x` names no directory, and is as often an API
 * route or a ratio as a file), Windows drive paths (`C:\a\b`, `C:/a/b`), UNC paths (`\\server\share\b`) and `file:`
 * URLs. Directory names may contain single spaces ("C:\Program Files\..."); a file name ends at the first space.
 * Relative paths and http(s) URLs are left as they are. Pure: the same text always gives the same result.
 */
export function redactPaths(text: string): string {
  return text.replace(PATH, (match) => {
    const last = /[^/\\]*$/.exec(match)?.[0] ?? '';
    // Sentence punctuation after a path is not part of its name ("... not found: /a/x.wav.").
    const trail = /[.:]+$/.exec(last)?.[0] ?? '';
    return `<path>/${last.slice(0, last.length - trail.length)}${trail}`;
  });
}

/** What `/status` may show to anyone: the report with every reason and problem text through `redactPaths`. */
export function redactStatusReport(report: StatusReport): StatusReport {
  return {
    ...report,
    ledger: { ...report.ledger, lastErrors: report.ledger.lastErrors.map((e) => ({ ...e, reason: redactPaths(e.reason) })) },
    submitter: report.submitter ? { ...report.submitter, reason: report.submitter.reason === null ? null : redactPaths(report.submitter.reason) } : null,
    sources: report.sources.map((s) => ({
      ...s,
      lastProblem: s.lastProblem === null ? null : redactPaths(s.lastProblem),
      ...(s.lastInput ? { lastInput: { ...s.lastInput, name: redactPaths(s.lastInput.name) } } : {}),
    })),
  };
}

/** A character of a path segment: no separator, whitespace, quote, bracket or list punctuation. */
const SEG = String.raw`[^\s/\\"'\x60()<>\[\]{},;|*?]`;
/** A directory name: segment characters, single spaces allowed between them. */
const DIR = String.raw`${SEG}+(?: ${SEG}+)*`;
/** Where an absolute path may begin: the start, or after whitespace, an opening bracket, a quote, `=`, `,` or `;`. */
const START = String.raw`(?<=^|[\s(\[{<"'\x60=,;])`;
const PATH = new RegExp(
  [
    // file: URLs (file:///a/b, file://host/a/b, file:/a/b)
    String.raw`\bfile:(?://[^\s/]*)?/(?:${DIR}/)*${SEG}*`,
    // Windows drive paths, either separator
    String.raw`(?<![\w])[A-Za-z]:[\\/](?:${DIR}[\\/])*${SEG}*`,
    // UNC paths
    String.raw`${START}\\\\${SEG}+\\(?:${DIR}\\)*${SEG}*`,
    // POSIX paths with at least one directory
    String.raw`${START}/(?:${DIR}/)+${SEG}*`,
  ].join('|'),
  'gi',
);
