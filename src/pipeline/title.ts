import type { titlePlaceholders } from './config.js';

export type TitleValues = Partial<Record<(typeof titlePlaceholders)[number], string | undefined>>;

/**
 * `{name}` placeholders filled from the call (the config schema refuses unknown names). A placeholder with
 * no value becomes empty and the spaces around it collapse; an all-empty title is no title (Dstny then
 * generates one from the participant).
 */
export function renderTitle(template: string | undefined, values: TitleValues): string | undefined {
  if (!template) return undefined;
  const text = template
    .replace(/\{([^{}]*)\}/g, (_, name: string) => values[name as keyof TitleValues] ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  return text || undefined;
}

/** The PBX's outcome → call_outcome text; an outcome the map does not name is left out. */
export function mapOutcome(outcome: string, outcomes: Record<string, string>): string | undefined {
  const text = outcomes[outcome];
  return text?.trim() ? text : undefined;
}
