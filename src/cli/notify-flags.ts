import * as fs from 'fs';
import { NotifierOptions } from '../agent/controller/notify';
import { NOTIFY_FORMATS, NotifyFormat, isForge } from '../agent/controller/notify-payload';
import { TEMPLATE_PLACEHOLDERS, unknownPlaceholders } from '../agent/controller/notify-template';
import { UsageError } from '../model/errors';

/** The notification flags of `synthops agent`. */
export interface NotifyFlags {
  /** `--notify-url`: webhook URL, or the forge API base for github/gitlab. @default - none: nothing is sent */
  readonly notifyUrl?: string;
  readonly notifyFormat: string;
  /** `--notify-template`: message wording with placeholders. @default - the built-in wording */
  readonly notifyTemplate?: string;
  /** `--notify-token-file`: file with the forge API token (github/gitlab). @default - none */
  readonly notifyTokenFile?: string;
  /** `--notify-repo`: forge repo path of commit statuses. @default - from the Source-Repo trailer, else from --repo */
  readonly notifyRepo?: string;
}

/** The checked notification settings: every mistake is a usage error at start, not a failed delivery later. */
export function notifySettings(
  opts: NotifyFlags,
  deployRepo: string | undefined,
): { format: NotifyFormat; options: NotifierOptions } {
  const format = opts.notifyFormat as NotifyFormat;
  if (!NOTIFY_FORMATS.includes(format))
    throw new UsageError(`--notify-format: "${opts.notifyFormat}" is not one of ${NOTIFY_FORMATS.join(', ')}`);
  if (opts.notifyTemplate !== undefined) {
    const unknown = unknownPlaceholders(opts.notifyTemplate);
    if (unknown.length > 0)
      throw new UsageError(
        `--notify-template: unknown placeholder ${unknown.map((u) => `{{${u}}}`).join(', ')}; known: ${TEMPLATE_PLACEHOLDERS.map((p) => `{{${p}}}`).join(' ')}`,
      );
  }
  let token: string | undefined;
  if (opts.notifyTokenFile) {
    try {
      token = fs.readFileSync(opts.notifyTokenFile, 'utf8').trim() || undefined;
    } catch (e) {
      // The error names the file, never its content.
      throw new UsageError(
        `--notify-token-file ${opts.notifyTokenFile}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      );
    }
    if (!token) throw new UsageError(`--notify-token-file ${opts.notifyTokenFile} is empty`);
  }
  if (opts.notifyUrl && isForge(format) && !token)
    throw new UsageError(`--notify-format ${format} posts commit statuses: it needs --notify-token-file`);
  if (opts.notifyRepo !== undefined && !/^[^/\s]+(\/[^/\s]+)+$/.test(opts.notifyRepo))
    throw new UsageError(`--notify-repo: "${opts.notifyRepo}" is not a repo path such as owner/name`);
  return { format, options: { template: opts.notifyTemplate, token, repo: opts.notifyRepo, deployRepo } };
}
