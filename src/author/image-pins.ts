import * as fs from 'fs';
import * as YAML from 'yaml';
import { ConfigError } from '../model/errors';
import { imagePinProblem } from './image-ref';

/** Image pins: environment name -> app name -> image reference. */
export type ImagePins = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** Default location of the pins file, relative to the config repo root. */
export const DEFAULT_IMAGE_PINS_FILE = 'apps/images.yaml';

/**
 * Reads the image pins file (YAML or JSON; JSON is valid YAML). A missing file means
 * "no pins". Every entry must be a string that is a valid, pinned image reference.
 *
 * @param file absolute path of the pins file
 * @param displayName path shown in error messages (relative to the repo root)
 */
export function loadImagePins(file: string, displayName = DEFAULT_IMAGE_PINS_FILE): ImagePins {
  if (!fs.existsSync(file)) return {};
  let data: unknown;
  try {
    data = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(displayName, `not valid YAML: ${(e as Error).message}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(displayName, 'expected a map of environment -> app -> image');
  }
  const pins: Record<string, Record<string, string>> = {};
  for (const [env, apps] of Object.entries(data as Record<string, unknown>)) {
    if (apps === null) continue;
    if (typeof apps !== 'object' || Array.isArray(apps)) {
      throw new ConfigError(displayName, `"${env}" must be a map of app -> image`);
    }
    pins[env] = {};
    for (const [app, image] of Object.entries(apps as Record<string, unknown>)) {
      if (typeof image !== 'string') {
        throw new ConfigError(displayName, `${env}.${app} must be an image reference string`);
      }
      const problem = imagePinProblem(image);
      if (problem) throw new ConfigError(displayName, `${env}.${app}: ${problem}`);
      pins[env][app] = image;
    }
  }
  return pins;
}
