export * from './position';
export * from './errors';
export * from './event-store';
export * from './timed-appends';
export * from './read-streams';
