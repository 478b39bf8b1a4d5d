export { startEsdbEmulator, type EsdbEmulator, type EsdbEmulatorOptions } from './emulator';
