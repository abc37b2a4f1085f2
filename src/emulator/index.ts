export { type EmulatorConfig, type EmulatorConfigInput, type EmulatorFaults, type EmulatorFaultsPatch, emulatorConfigSchema } from './config.js';
export { listedConversation } from './conversations.js';
export { defaultSeed, type Seed } from './seed.js';
export { type EmulatorHandle, type EmulatorOptions, runEmulator, startEmulator } from './server.js';
export type { EmulatorState, EmulatorStatsSnapshot, LoggedRequest } from './state.js';
