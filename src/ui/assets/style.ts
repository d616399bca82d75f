import { DARK, LIGHT, Scheme } from './palette';

function vars(s: Scheme): string {
  return [
    `--bg:${s.bg}`,
    `--surface:${s.surface}`,
    `--text:${s.text}`,
    `--muted:${s.muted}`,
    `--border:${s.border}`,
    `--link:${s.link}`,
    `--focus:${s.focus}`,
    `--header-bg:${s.headerBg}`,
    `--header-text:${s.headerText}`,
    `--ready-fg:${s.ready[0]}`,
    `--ready-bg:${s.ready[1]}`,
    `--progressing-fg:${s.progressing[0]}`,
    `--progressing-bg:${s.progressing[1]}`,
    `--degraded-fg:${s.degraded[0]}`,
    `--degraded-bg:${s.degraded[1]}`,
    `--held-fg:${s.held[0]}`,
    `--held-bg:${s.held[1]}`,
    `--suspended-fg:${s.suspended[0]}`,
    `--suspended-bg:${s.suspended[1]}`,
    `--add-fg:${s.add[0]}`,
    `--add-bg:${s.add[1]}`,
    `--del-fg:${s.del[0]}`,
    `--del-bg:${s.del[1]}`,
    `--banner-fg:${s.bannerFg}`,
    `--banner-bg:${s.bannerBg}`,
  ].join(';');
}

/** The one stylesheet, served as /assets/ui.css (no inline styles: the CSP forbids them). */
export const STYLE = `
:root{${vars(LIGHT)};color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{${vars(DARK)}}}
*{box-sizing:border-box}
html{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;background:var(--bg);color:var(--text)}
body{margin:0}
a{color:var(--link)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible,main:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
.skip{position:absolute;left:-999px;top:0;background:var(--bg);padding:.5em 1em;z-index:2}
.skip:focus{left:.5em}
header.top{display:flex;align-items:center;gap:1.5em;padding:.6em 1.2em;background:var(--header-bg);color:var(--header-text)}
header.top a{color:var(--header-text);text-decoration:none;padding:.2em .1em;border-bottom:2px solid transparent}
header.top a[aria-current=page]{border-bottom-color:var(--header-text)}
header.top .brand{font-weight:700;letter-spacing:.02em}
header.top nav ul{display:flex;gap:1.2em;list-style:none;margin:0;padding:0}
header.top .context{margin-left:auto;font-size:.85em;opacity:.9}
#banner{margin:0;padding:.6em 1.2em;background:var(--banner-bg);color:var(--banner-fg);border-bottom:1px solid var(--border);font-weight:600}
#banner[hidden]{display:none}
main{padding:1em 1.2em 2em;max-width:1400px}
h1{font-size:1.5em;margin:.2em 0 .4em}
h2{font-size:1.15em;margin:1.6em 0 .5em;padding-bottom:.2em;border-bottom:1px solid var(--border)}
h3{font-size:1em;margin:1.1em 0 .4em}
.muted{color:var(--muted)}
.crumbs{font-size:.9em;margin:0 0 .3em}
.crumbs ol{list-style:none;display:flex;gap:.4em;margin:0;padding:0}
.crumbs li+li::before{content:"/";margin-right:.4em;color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em}
caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{text-align:left;vertical-align:top;padding:.38em .6em;border-bottom:1px solid var(--border)}
th{background:var(--surface);font-weight:600;white-space:nowrap}
tbody tr:hover{background:var(--surface)}
td.msg{max-width:42em;overflow-wrap:anywhere}
td.num{text-align:right;white-space:nowrap}
.badge{display:inline-block;padding:.05em .55em;border-radius:1em;font-size:.85em;font-weight:600;white-space:nowrap;border:1px solid currentColor}
.s-Ready,.h-Healthy{color:var(--ready-fg);background:var(--ready-bg)}
.s-Progressing,.h-Progressing,.h-Unknown{color:var(--progressing-fg);background:var(--progressing-bg)}
.s-Degraded,.h-Degraded,.h-Missing{color:var(--degraded-fg);background:var(--degraded-bg)}
.s-PruneHeld{color:var(--held-fg);background:var(--held-bg)}
.s-Suspended{color:var(--suspended-fg);background:var(--suspended-bg)}
.counts{display:flex;flex-wrap:wrap;gap:.6em;list-style:none;padding:0;margin:.4em 0 1em}
.counts a{display:flex;gap:.5em;align-items:center;text-decoration:none;padding:.35em .8em;border:1px solid var(--border);border-radius:.5em;background:var(--surface);color:var(--text)}
.counts a[aria-current=true]{outline:2px solid var(--focus)}
.counts .n{font-size:1.25em;font-weight:700}
form.filter{display:flex;flex-wrap:wrap;gap:.8em;align-items:end;margin:.4em 0 .8em}
form.filter .field{display:flex;flex-direction:column;gap:.2em}
form.filter label{font-size:.85em;font-weight:600}
input,select,button{font:inherit;color:var(--text);background:var(--bg);border:1px solid var(--muted);border-radius:.35em;padding:.3em .5em}
button{background:var(--surface);cursor:pointer}
.summary{display:grid;grid-template-columns:max-content 1fr;gap:.25em 1.2em;margin:.6em 0}
.summary dt{font-weight:600;color:var(--muted)}
.summary dd{margin:0}
.tree,.tree ul{list-style:none;margin:0;padding-left:1.3em}
.tree{padding-left:0}
.tree li{padding:.15em 0}
.tree ul{border-left:1px dashed var(--border);margin-left:.4em}
.panel{border:1px solid var(--border);border-radius:.5em;padding:.6em 1em;background:var(--surface);margin:.6em 0}
.panel.warn{border-color:var(--held-fg)}
.panel h2{margin-top:.3em}
.problem{border:1px solid var(--degraded-fg);background:var(--degraded-bg);color:var(--degraded-fg);border-radius:.5em;padding:.7em 1em;margin:.8em 0}
.problem p{margin:.3em 0}
pre{background:var(--surface);border:1px solid var(--border);border-radius:.4em;padding:.6em .8em;overflow-x:auto;margin:.4em 0}
pre.diff{padding:0}
pre.diff span{display:block;padding:0 .8em;white-space:pre}
pre.diff .add{background:var(--add-bg);color:var(--add-fg)}
pre.diff .del{background:var(--del-bg);color:var(--del-fg)}
pre.diff .skip{color:var(--muted);font-style:italic}
.pager{display:flex;gap:1.2em;margin:.2em 0 1em}
.legend span{margin-right:1em}
.legend .add{color:var(--add-fg);background:var(--add-bg);padding:0 .4em}
.legend .del{color:var(--del-fg);background:var(--del-bg);padding:0 .4em}
footer{padding:.8em 1.2em;color:var(--muted);font-size:.85em;border-top:1px solid var(--border)}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;
