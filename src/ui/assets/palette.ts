/**
 * The colours of both schemes. Every text colour is paired with the background it is
 * drawn on; test/ui-logic checks each pair against WCAG AA (4.5:1 for text).
 */
export interface Scheme {
  readonly bg: string;
  readonly surface: string;
  readonly text: string;
  readonly muted: string;
  readonly border: string;
  readonly link: string;
  readonly focus: string;
  readonly headerBg: string;
  readonly headerText: string;
  readonly ready: readonly [fg: string, bg: string];
  readonly progressing: readonly [fg: string, bg: string];
  readonly degraded: readonly [fg: string, bg: string];
  readonly held: readonly [fg: string, bg: string];
  readonly suspended: readonly [fg: string, bg: string];
  readonly add: readonly [fg: string, bg: string];
  readonly del: readonly [fg: string, bg: string];
  readonly bannerFg: string;
  readonly bannerBg: string;
}

export const LIGHT: Scheme = {
  bg: '#ffffff',
  surface: '#f6f8fa',
  text: '#1f2328',
  muted: '#57606a',
  border: '#d0d7de',
  link: '#0550ae',
  focus: '#0969da',
  headerBg: '#24292f',
  headerText: '#f6f8fa',
  ready: ['#116329', '#dafbe1'],
  progressing: ['#6f4400', '#fff4cc'],
  degraded: ['#a40e26', '#ffebe9'],
  held: ['#6639ba', '#f3eefe'],
  suspended: ['#424a53', '#eaeef2'],
  add: ['#0f5323', '#e6ffec'],
  del: ['#82071e', '#ffebe9'],
  bannerFg: '#6f2b00',
  bannerBg: '#fff1e5',
};

export const DARK: Scheme = {
  bg: '#0d1117',
  surface: '#161b22',
  text: '#e6edf3',
  muted: '#9da7b3',
  border: '#30363d',
  link: '#58a6ff',
  focus: '#58a6ff',
  headerBg: '#010409',
  headerText: '#e6edf3',
  ready: ['#56d364', '#0f2d1a'],
  progressing: ['#e3b341', '#2e2206'],
  degraded: ['#ff8e87', '#3b1013'],
  held: ['#c297ff', '#271a41'],
  suspended: ['#c0c8d1', '#262c36'],
  add: ['#aff5b4', '#113420'],
  del: ['#ffc1ba', '#4a1116'],
  bannerFg: '#ffd8b5',
  bannerBg: '#3d1e00',
};

/** Text/background pairs of a scheme that must pass AA, named for test messages. */
export function textPairs(s: Scheme): ReadonlyArray<readonly [string, string, string]> {
  return [
    ['text on bg', s.text, s.bg],
    ['text on surface', s.text, s.surface],
    ['muted on bg', s.muted, s.bg],
    ['muted on surface', s.muted, s.surface],
    ['link on bg', s.link, s.bg],
    ['link on surface', s.link, s.surface],
    ['header', s.headerText, s.headerBg],
    ['ready', ...s.ready],
    ['progressing', ...s.progressing],
    ['degraded', ...s.degraded],
    ['held', ...s.held],
    ['suspended', ...s.suspended],
    ['diff add', ...s.add],
    ['diff del', ...s.del],
    ['banner', s.bannerFg, s.bannerBg],
  ];
}
