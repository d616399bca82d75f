/** A container image reference split into its parts. */
export interface ImageRef {
  /** Repository including any registry host, e.g. `docker.io/kostiscodefresh/simple-web-app`. */
  readonly repository: string;
  /** Tag, if present (`3d9b390`). @default - none */
  readonly tag?: string;
  /** Digest, if present (`sha256:...`). @default - none */
  readonly digest?: string;
}

// The distribution reference grammar, simplified: lowercase path components
// separated by `.`, `_`, `__` or dashes; an optional host[:port] first.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const HOST =
  '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?';
const REFERENCE = new RegExp(
  `^(${HOST}${COMPONENT}(?:/${COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@([a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}))?$`,
);

/**
 * Parses an image reference; returns `undefined` when it is malformed.
 * Pinning rules (no `:latest`, no untagged image) are checked by {@link imagePinProblem}.
 */
export function parseImageRef(ref: string): ImageRef | undefined {
  const m = REFERENCE.exec(ref);
  if (!m) return undefined;
  return { repository: m[1], tag: m[2], digest: m[3] };
}

/**
 * Why an image reference is not an acceptable production pin, or `undefined` if it is.
 * A pin needs a tag other than `latest`, or a digest.
 */
export function imagePinProblem(ref: string): string | undefined {
  const parsed = parseImageRef(ref);
  if (!parsed) return `"${ref}" is not a valid image reference`;
  if (parsed.digest) return undefined;
  if (!parsed.tag) return `"${ref}" has no tag; pin a version tag or a digest`;
  if (parsed.tag === 'latest') return `"${ref}" uses the mutable tag ":latest"; pin a version tag or a digest`;
  return undefined;
}
