export { type App, type AppOptions, createApp } from './app.js';
export { type Problem, problem } from './problem.js';
export { type SchedulerOptions, startHealthScheduler } from './scheduler.js';
export { type RunningServer, type StartOptions, startServer } from './server.js';
