import * as fs from 'fs';
import * as path from 'path';

const DOCKERFILE = path.resolve(__dirname, '..', '..', 'Dockerfile');

/**
 * The Node flags the agent's image starts it with (between `node` and the script in
 * the Dockerfile's ENTRYPOINT), so tests and benchmarks run the agent as it ships.
 */
export function imageNodeFlags(): string[] {
  const line = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(fs.readFileSync(DOCKERFILE, 'utf8'));
  if (!line) throw new Error(`${DOCKERFILE}: no ENTRYPOINT in exec form`);
  const argv = JSON.parse(line[1]) as string[];
  if (argv[0] !== 'node') throw new Error(`${DOCKERFILE}: ENTRYPOINT does not start with node`);
  return argv.slice(
    1,
    argv.findIndex((a, i) => i > 0 && !a.startsWith('-')),
  );
}
