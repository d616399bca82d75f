import * as fs from 'fs';
import * as YAML from 'yaml';
import { ConfigError } from '../model/errors';
import { imagePinProblem } from './image-ref';

/** Image pins: environment name -> app name -> image reference. */
export type ImagePins = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** Default location of the pins file, relative to the config repo root. */
export const DEFAULT_IMAGE_PINS_FILE = 'apps/images.yaml';

/** One problem of the pins file: a malformed file or entry, or an image that is not pinned. */
export interface ImagePinProblem {
  /** `malformed`: the file or an entry has the wrong shape; `not-pinned`: an image reference without a usable tag or digest. */
  readonly kind: 'malformed' | 'not-pinned';
  /** Environment of the entry. @default - none: the problem is the whole file's */
  readonly env?: string;
  /** App of the entry. @default - none: the problem is the whole file's or an environment's */
  readonly app?: string;
  /** What is wrong, without the file name. */
  readonly message: string;
}

/** The pins file as read, with every problem in it. */
export interface ImagePinsRead {
  /** Every string entry, pinned or not: an app renders with its pin so the other checks still run. */
  readonly pins: ImagePins;
  readonly problems: readonly ImagePinProblem[];
}

/**
 * Reads the image pins file (YAML or JSON; JSON is valid YAML) and collects every
 * problem instead of stopping at the first. A missing file means "no pins".
 *
 * @param file absolute path of the pins file
 */
export function readImagePins(file: string): ImagePinsRead {
  if (!fs.existsSync(file)) return { pins: {}, problems: [] };
  let data: unknown;
  try {
    data = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    return { pins: {}, problems: [{ kind: 'malformed', message: `not valid YAML: ${(e as Error).message}` }] };
  }
  if (data === null || data === undefined) return { pins: {}, problems: [] };
  if (typeof data !== 'object' || Array.isArray(data)) {
    return { pins: {}, problems: [{ kind: 'malformed', message: 'expected a map of environment -> app -> image' }] };
  }
  const pins: Record<string, Record<string, string>> = {};
  const problems: ImagePinProblem[] = [];
  for (const [env, apps] of Object.entries(data as Record<string, unknown>)) {
    if (apps === null) continue;
    if (typeof apps !== 'object' || Array.isArray(apps)) {
      problems.push({ kind: 'malformed', env, message: `"${env}" must be a map of app -> image` });
      continue;
    }
    pins[env] = {};
    for (const [app, image] of Object.entries(apps as Record<string, unknown>)) {
      if (typeof image !== 'string') {
        problems.push({ kind: 'malformed', env, app, message: `${env}.${app} must be an image reference string` });
        continue;
      }
      const problem = imagePinProblem(image);
      if (problem) problems.push({ kind: 'not-pinned', env, app, message: problem });
      pins[env][app] = image;
    }
  }
  return { pins, problems };
}

/**
 * Reads the image pins file and throws a {@link ConfigError} naming the file and the
 * entry at its first problem. Every entry must be a string that is a valid, pinned
 * image reference.
 *
 * @param file absolute path of the pins file
 * @param displayName path shown in error messages (relative to the repo root)
 */
export function loadImagePins(file: string, displayName = DEFAULT_IMAGE_PINS_FILE): ImagePins {
  const { pins, problems } = readImagePins(file);
  const first = problems[0];
  if (first)
    throw new ConfigError(
      displayName,
      first.kind === 'not-pinned' ? `${first.env}.${first.app}: ${first.message}` : first.message,
    );
  return pins;
}
