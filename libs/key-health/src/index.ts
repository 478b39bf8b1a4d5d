export * from './names';
export * from './settings';
export * from './health-store';
export * from './checker';
export * from './metrics';
export * from './schedule';
export * from './gate';
export * from './fleet';
