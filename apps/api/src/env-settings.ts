/** Reading the API's settings from the environment: one spelling of on/off and of whole numbers. */

const ON = new Set(['1', 'true', 'on', 'yes']);
const OFF = new Set(['', '0', 'false', 'off', 'no']);

/** A yes/no setting (1/0, true/false, on/off, yes/no; empty or unset: `fallback`); a TypeError names it otherwise. */
export function flagSetting(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = (env[name] ?? '').toLowerCase();
  if (raw === '') return fallback;
  if (ON.has(raw)) return true;
  if (OFF.has(raw)) return false;
  throw new TypeError(`${name} must be 1 or 0, got ${JSON.stringify(env[name])}`);
}

/** A whole number from `min` to `max` (empty or unset: `fallback`); a TypeError names it otherwise. */
export function wholeSetting(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new TypeError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}
