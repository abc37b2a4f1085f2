import type { Logger } from '../log/logger.js';

/** A built part of the bridge. Building may already hold resources (an open ledger, a listening socket): `stop` frees them. */
export interface Component {
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
}

/** How one part of the bridge is built: a name and a line for the docs, and a builder from what it needs. */
export interface PartDefinition<Deps, C extends Component> {
  name: string;
  summary: string;
  build(deps: Deps): C | Promise<C>;
}

export function definePart<Deps, C extends Component>(def: PartDefinition<Deps, C>): PartDefinition<Deps, C> {
  return def;
}

interface Entry {
  name: string;
  component: Component;
  started: boolean;
}

/**
 * The parts of a running bridge, in the order they were built. `start` starts them in that order, `stop` stops
 * every built part in reverse (also parts never started: building may hold resources), each once, and goes on
 * past a part that fails to stop. `replace` swaps one part for a new build of it in its place (reload).
 */
export class Lifecycle {
  private readonly entries: Entry[] = [];
  private running = false;
  private stopping: Promise<void> | null = null;

  constructor(private readonly logger: Logger) {}

  async build<D, C extends Component>(part: PartDefinition<D, C>, deps: D): Promise<C> {
    if (this.stopping) throw new Error(`cannot build ${part.name}: the bridge is stopping`);
    if (this.entries.some((e) => e.name === part.name)) throw new Error(`part ${part.name} is built already`);
    const component = await part.build(deps);
    this.entries.push({ name: part.name, component, started: false });
    return component;
  }

  /** The parts' names, in start order. */
  get names(): string[] {
    return this.entries.map((e) => e.name);
  }

  async start(): Promise<void> {
    this.running = true;
    for (const entry of this.entries) await this.startEntry(entry);
  }

  /** Safe to call more than once: every call waits for the one stop. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  /**
   * Build the part anew and put it in the old one's place: the new build first (when it fails the old part keeps
   * running and the error is thrown), then the old part stops and, when the bridge runs, the new one starts.
   */
  async replace<D, C extends Component>(part: PartDefinition<D, C>, deps: D): Promise<C> {
    const entry = this.entries.find((e) => e.name === part.name);
    if (!entry) throw new Error(`no part ${part.name} to replace`);
    if (this.stopping) throw new Error(`cannot replace ${part.name}: the bridge is stopping`);
    const component = await part.build(deps);
    await this.stopEntry(entry);
    entry.component = component;
    entry.started = false;
    if (this.running) await this.startEntry(entry);
    return component;
  }

  private async startEntry(entry: Entry): Promise<void> {
    if (entry.started) return;
    await entry.component.start?.();
    entry.started = true;
  }

  private async stopAll(): Promise<void> {
    this.running = false;
    for (const entry of [...this.entries].reverse()) await this.stopEntry(entry);
  }

  private async stopEntry(entry: Entry): Promise<void> {
    try {
      await entry.component.stop?.();
    } catch (error) {
      this.logger.error(`error while stopping ${entry.name}`, { error });
    }
    entry.started = false;
  }
}
