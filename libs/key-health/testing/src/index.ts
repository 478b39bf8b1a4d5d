export * from './health-rig';
