#!/usr/bin/env node
import { Command, Option } from 'commander';
import { adapters } from '../../adapters/registry.js';
import { DEFAULT_CONFIG_FILE } from '../config/load.js';
import { rowStates } from '../ledger/ledger.js';
import { describeAdapters } from '../docs/schema-docs.js';
import { CallbridgeError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { VERSION } from '../version.js';
import { runBackup, runRestore, runVacuum } from './backup.js';
import { runCheckConfig } from './check-config.js';
import { runConfirm } from './confirm.js';
import { runDetect } from './detect.js';
import { runImport } from './import.js';
import { runInspect, runSearch } from './inspect.js';
import { runRetry } from './retry.js';
import { runSandbox } from './sandbox.js';
import { runStart } from './start.js';
import { runStatus } from './status.js';
import { runParse } from './parse.js';

const program = new Command();
program
  .name('callbridge')
  .description('Delivers every finished, recorded PBX call to the Dstny Conversational Intelligence API, exactly once.')
  .version(VERSION)
  .showHelpAfterError();

const configOption = () => new Option('-c, --config <file>', 'configuration file').default(DEFAULT_CONFIG_FILE);

program
  .command('start')
  .description('run the bridge (sandbox mode against the built-in emulator when no DSTNY_API_TOKEN is set)')
  .addOption(configOption())
  .action((opts: { config: string }) => runStart(opts.config));

program
  .command('check-config')
  .description('validate the configuration (every problem is listed by its path) without starting')
  .addOption(configOption())
  .action(async (opts: { config: string }) => {
    process.exitCode = await runCheckConfig(opts.config, process.stdout);
  });

program
  .command('status')
  .description('counts per state, the oldest due row and the last errors, read from the ledger')
  .addOption(configOption())
  .option('--json', 'print JSON instead of text')
  .action(async (opts: { config: string; json?: boolean }) => {
    process.exitCode = await runStatus(opts.config, process.stdout, { json: opts.json === true });
  });

program
  .command('retry')
  .description('move rows back to pending: failed/missing ones are sent again; rejected/skipped/held ones are normalized again first')
  .addOption(configOption())
  .option('-s, --state <states>', 'comma-separated states to retry (failed, missing, verify, rejected, skipped, held)', 'failed,missing,rejected')
  .option('--id <ids...>', 'only these call external ids')
  .action(async (opts: { config: string; state: string; id?: string[] }) => {
    process.exitCode = await runRetry(opts.config, process.stdout, { states: opts.state.split(',').map((s) => s.trim()).filter(Boolean), ids: opts.id });
  });

program
  .command('inspect')
  .description('one call end to end: its source and record, the payload, every attempt and look-up, and what to do next')
  .addOption(configOption())
  .argument('<externalId>', "the call's external id")
  .option('--json', 'print JSON instead of text')
  .action(async (id: string, opts: { config: string; json?: boolean }) => {
    process.exitCode = await runInspect(opts.config, process.stdout, { id, json: opts.json === true });
  });

program
  .command('search')
  .description('find calls by external id, conversation id, phone number or email, and by when the bridge took them (newest first)')
  .addOption(configOption())
  .argument('[text]', 'an external id (or its beginning), a conversation id, a phone number or an email address')
  .option('--since <time>', 'taken at or after: how long ago (90m, 24h, 7d) or an ISO date/time (UTC unless it names its zone)')
  .option('--until <time>', 'taken before (same forms as --since)')
  .option('-s, --state <states>', `comma-separated states (${rowStates.join(', ')})`)
  .option('--limit <n>', 'at most this many calls', '50')
  .option('--json', 'print JSON instead of text')
  .action(async (text: string | undefined, opts: { config: string; since?: string; until?: string; state?: string; limit: string; json?: boolean }) => {
    process.exitCode = await runSearch(opts.config, process.stdout, { ...opts, ...(text ? { text } : {}), json: opts.json === true });
  });

program
  .command('confirm')
  .description('mark a call as delivered under a Dstny conversation id (for a call the reconciler reported as needing an operator); nothing is sent')
  .addOption(configOption())
  .argument('<externalId>', "the call's external id")
  .argument('<conversationId>', 'the Dstny conversation it is')
  .action(async (externalId: string, conversationId: string, opts: { config: string }) => {
    process.exitCode = await runConfirm(opts.config, process.stdout, { externalId, conversationId });
  });

program
  .command('backup')
  .description('a consistent copy of the ledger to FILE, also while the bridge runs (never overwrites a file)')
  .addOption(configOption())
  .argument('<file>', 'where the copy goes')
  .action(async (file: string, opts: { config: string }) => {
    process.exitCode = await runBackup(opts.config, process.stdout, file);
  });

program
  .command('restore')
  .description('put a backup in place of the ledger (stop the bridge first); calls that may have been sent since the backup are looked up at Dstny before they are sent')
  .addOption(configOption())
  .argument('<file>', 'a file made by callbridge backup')
  .action(async (file: string, opts: { config: string }) => {
    process.exitCode = await runRestore(opts.config, process.stdout, file);
  });

program
  .command('vacuum')
  .description('rewrite the ledger without its free pages (stop the bridge first; needs free space as large as the ledger): a ledger made before retention then gives the space it frees back to the disk')
  .addOption(configOption())
  .action(async (opts: { config: string }) => {
    process.exitCode = await runVacuum(opts.config, process.stdout);
  });

program
  .command('sandbox')
  .description('what an earlier sandbox run (no DSTNY_API_TOKEN) delivered; --reset removes it so the next start begins afresh')
  .addOption(configOption())
  .option('--reset', "remove the sandbox's ledger, sample CDRs (and processed/) and recordings; refused for a live configuration or while a bridge runs")
  .action(async (opts: { config: string; reset?: boolean }) => {
    process.exitCode = await runSandbox(opts.config, process.stdout, { reset: opts.reset === true });
  });

program
  .command('parse')
  .description('parse and normalize CDR files without submitting; one NDJSON line per call on stdout')
  .option('-a, --adapter <id>', `adapter id (${adapters.map((a) => a.id).join(', ')}); default: the adapter of the config's sources`)
  .option('-s, --source <id>', "the config's source whose adapter, options and time zone apply (when its sources use several adapters)")
  .addOption(configOption())
  .argument('<files...>', 'CDR files to parse')
  .action(async (files: string[], opts: { adapter?: string; source?: string; config: string }) => {
    process.exitCode = await runParse({ adapterId: opts.adapter, sourceId: opts.source, configFile: opts.config, files, stdout: process.stdout, stderr: process.stderr });
  });

program
  .command('import')
  .description('load historical CDR files into the ledger: sent after every live call, within import.maxShareOfDailyQuota of each day\'s quota')
  .option('-a, --adapter <id>', `adapter id (${adapters.map((a) => a.id).join(', ')}); default: the adapter of the config's sources`)
  .option('-s, --source <id>', "the config's source whose adapter, options and time zone apply (when its sources use several adapters)")
  .option('--since <time>', 'only calls that started at or after: how long ago (30d) or an ISO date/time (UTC unless it names its zone)')
  .option('--until <time>', 'only calls that started before (same forms as --since)')
  .option('--dry-run', 'read and count everything, write nothing')
  .addOption(configOption())
  .argument('<files...>', 'CDR files to import')
  .action(async (files: string[], opts: { adapter?: string; source?: string; since?: string; until?: string; dryRun?: boolean; config: string }) => {
    const interrupt = new AbortController();
    // Ctrl-C stops reading; what is committed stays. A second Ctrl-C is the shell's default again.
    process.once('SIGINT', () => interrupt.abort());
    process.exitCode = await runImport({
      configFile: opts.config,
      adapterId: opts.adapter,
      sourceId: opts.source,
      since: opts.since,
      until: opts.until,
      dryRun: opts.dryRun === true,
      files,
      stdout: process.stdout,
      stderr: process.stderr,
      tty: process.stderr.isTTY === true,
      signal: interrupt.signal,
    });
  });

program
  .command('detect')
  .description('recognise CDR files or a CDR database (which adapter or profile reads them, how sure, and why) and print a starter configuration for them')
  .option('-w, --write <dir>', 'write callbridge.yaml and owners.csv into this folder instead of printing the YAML (never replaces a file)')
  .argument('[paths...]', 'CDR files, folders of them, or database urls (mysql://USER:PASSWORD@HOST/asteriskcdrdb, postgres://…, sqlite:/var/log/asterisk/master.db)')
  .action(async (paths: string[], opts: { write?: string }) => {
    process.exitCode = await runDetect({ paths, writeDir: opts.write, stdout: process.stdout, stderr: process.stderr });
  });

program
  .command('adapters')
  .description('list the PBX adapters with their options')
  .action(() => {
    process.stdout.write(describeAdapters(adapters));
  });

program
  .command('emulator')
  .description('run the Dstny API emulator (a test double) on its own')
  .option('-p, --port <port>', 'port (0 = any free one)', '0')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .action(async (opts: { port: string; host: string }) => {
    const { runEmulator } = await import('../emulator/index.js');
    const logger = createLogger({});
    const handle = await runEmulator({ port: Number(opts.port), host: opts.host, logger, token: process.env.DSTNY_API_TOKEN || undefined });
    logger.info(`Dstny emulator (test double) listening on ${handle.url}`);
    const stop = () => void handle.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  // Configuration, usage and permission problems are the operator's to fix: say what and where, no stack trace.
  const denied = permissionProblem(error);
  if (error instanceof CallbridgeError) process.stderr.write(`callbridge: ${error.message}\n`);
  else if (denied) process.stderr.write(`callbridge: ${denied}\n`);
  else process.stderr.write(`callbridge: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(error instanceof CallbridgeError || denied ? 2 : 1);
});

/** A file system refusal (permissions, a read-only mount) in one line naming the path and who was refused. */
function permissionProblem(error: unknown): string | null {
  const e = error as NodeJS.ErrnoException;
  const why: Record<string, string> = { EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system' };
  if (!e?.code || !why[e.code] || !e.path) return null;
  const user = process.getuid ? ` (running as uid ${process.getuid()})` : '';
  return `cannot ${e.syscall ?? 'use'} ${e.path}: ${why[e.code]}${user}; check the folder's owner and mode, or point dataDir / the source paths elsewhere`;
}
