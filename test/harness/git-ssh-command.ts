/**
 * The command line a git client sends over ssh (`git-upload-pack '/repo.git'`),
 * parsed so the test ssh server can run exactly that and nothing else.
 */

/** The two git services the test ssh server runs. */
export type GitService = 'git-upload-pack' | 'git-receive-pack';

/** A git service and the repository path it was asked for. */
export interface GitSshCommand {
  readonly service: GitService;
  readonly repoPath: string;
}

const SERVICES: readonly GitService[] = ['git-upload-pack', 'git-receive-pack'];

// git quotes the path shell-style: inside '…', and every ' or ! outside as \' or \!.
const QUOTED = /^(?:'[^']*'|\\['!])+$/;
const PART = /'([^']*)'|\\(['!])/g;

/** The service and path of `command`, or undefined for anything but `<service> '<path>'`. */
export function parseGitSshCommand(command: string): GitSshCommand | undefined {
  const space = command.indexOf(' ');
  if (space < 0) return undefined;
  const service = SERVICES.find((s) => s === command.slice(0, space));
  const quoted = command.slice(space + 1);
  if (!service || !QUOTED.test(quoted)) return undefined;
  const repoPath = quoted.replace(
    PART,
    (_m, inside: string | undefined, escaped: string | undefined) => inside ?? escaped ?? '',
  );
  return repoPath === '' ? undefined : { service, repoPath };
}
