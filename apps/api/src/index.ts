export { type App, type AppOptions, createApp } from './app.js';
export { type Problem, problem } from './problem.js';
export { type HealthScheduler, type SchedulerOptions, startHealthScheduler } from './scheduler.js';
export { type RunningServer, type ShutdownReport, type StartOptions, startServer } from './server.js';
