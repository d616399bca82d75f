/** `npm run cluster:up` / `cluster:down` / `cluster:status`. */
import { down, isHealthy, memoryMiB, readState, up } from './plane';

async function main(cmd: string | undefined): Promise<number> {
  switch (cmd) {
    case 'up': {
      const t0 = Date.now();
      const state = await up();
      process.stderr.write(
        `control plane: up in ${((Date.now() - t0) / 1000).toFixed(1)}s; memory (MiB): ${JSON.stringify(memoryMiB(state))}\n`,
      );
      process.stdout.write(`${state.kubeconfig}\n`);
      return 0;
    }
    case 'down':
      await down();
      process.stderr.write('control plane: stopped\n');
      return 0;
    case 'status': {
      const state = readState();
      const healthy = await isHealthy(state);
      process.stdout.write(
        `${healthy ? 'running' : 'not running'}${state ? ` ${state.server} kubeconfig=${state.kubeconfig}` : ''}\n`,
      );
      if (state && healthy) process.stdout.write(`memory (MiB): ${JSON.stringify(memoryMiB(state))}\n`);
      return healthy ? 0 : 1;
    }
    default:
      process.stderr.write('usage: cli.ts up|down|status\n');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    process.stderr.write(`control plane: ${e.message}\n`);
    process.exitCode = 1;
  },
);
