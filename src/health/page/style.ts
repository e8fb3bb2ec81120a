// The status page's stylesheet: system fonts only, light and dark, one column on a phone.

/** `GET /_page/app.css`. */
export const PAGE_CSS = `
:root{--bg:#f6f7f9;--card:#fff;--fg:#1d2330;--muted:#667085;--line:#e3e6eb;--accent:#2f6fde;--ok:#1f8a4c;--warn:#b26b00;--bad:#c4302b;--chart:#2f6fde;--chart-fill:rgba(47,111,222,.14);color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--card:#1a1f26;--fg:#e6e9ee;--muted:#98a2b3;--line:#2b323c;--accent:#6ea0ff;--ok:#4cc38a;--warn:#f0b43c;--bad:#ff6b63;--chart:#6ea0ff;--chart-fill:rgba(110,160,255,.16)}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;justify-content:space-between;padding:14px 16px;background:var(--card);border-bottom:1px solid var(--line);position:sticky;top:0;z-index:1}
.who{display:flex;align-items:baseline;gap:10px;min-width:0;flex-wrap:wrap}
h1{font-size:20px;margin:0;overflow-wrap:anywhere}
h2{font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:0 0 10px}
.state{display:flex;gap:8px;align-items:center}
.role{font-weight:700;padding:3px 12px;border-radius:999px;text-transform:uppercase;letter-spacing:.05em;font-size:14px;border:2px solid currentColor}
.role-leader{color:var(--ok)}.role-standby{color:var(--accent)}.role-stopping,.role-starting{color:var(--warn)}
.conn{font-size:12px;color:var(--muted)}.conn::before{content:"● "}.conn-live::before{color:var(--ok)}.conn-wait::before{color:var(--warn)}.conn-down::before{color:var(--bad)}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:14px;padding:14px 16px;max-width:1280px;margin:0 auto}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px;min-width:0}
@media (min-width:1000px){main{grid-auto-flow:dense}.log-card{grid-column:span 2;grid-row:span 2}}
dl{display:grid;grid-template-columns:auto 1fr;gap:4px 14px;margin:0}
dt{color:var(--muted);white-space:nowrap}
dd{margin:0;min-width:0;overflow-wrap:anywhere;font-variant-numeric:tabular-nums}
figure{margin:12px 0 0}
.chart{display:block;width:100%;height:64px;background:var(--bg);border-radius:6px}
.chart .line{fill:none;stroke:var(--chart);stroke-width:2;vector-effect:non-scaling-stroke}
.chart .area{fill:var(--chart-fill);stroke:none}
figcaption{display:flex;justify-content:space-between;gap:8px;font-size:12px;color:var(--muted);margin-top:4px}
.muted{color:var(--muted)}.small{font-size:12px}
.big{font-size:28px;font-weight:700;margin:0 0 6px;font-variant-numeric:tabular-nums}
.plain{list-style:none;padding:0;margin:0}
.plain li{display:flex;justify-content:space-between;gap:8px;border-top:1px solid var(--line);padding:3px 0}
.steps{list-style:none;padding:0;margin:0}
.steps li{display:grid;grid-template-columns:1.4em 1fr;gap:0 6px;padding:4px 0;border-top:1px solid var(--line)}
.steps li:first-child,.plain li:first-child{border-top:0}
.steps .mark{font-weight:700;text-align:center}
.steps .detail{grid-column:2;color:var(--muted);font-size:13px;overflow-wrap:anywhere;min-width:0}
.st-ok .mark{color:var(--ok)}.st-warn .mark{color:var(--warn)}.st-fail .mark{color:var(--bad)}.st-running .mark,.st-skipped .mark{color:var(--muted)}
.ok{color:var(--ok)}.warn{color:var(--warn)}.bad{color:var(--bad)}
.log-card{display:flex;flex-direction:column}
.log{flex:1;font:12px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--bg);border-radius:6px;padding:8px;min-height:160px;max-height:520px;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere}
.log div{border-bottom:1px dotted var(--line)}
.log .src{color:var(--muted)}.log .lv-warn,.log .lv-stderr{color:var(--warn)}.log .lv-error{color:var(--bad)}
label{display:block;font-size:13px;color:var(--muted);margin-bottom:4px}
input{width:100%;font:inherit;padding:8px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
.buttons{display:flex;flex-wrap:wrap;gap:8px;margin-top:10px}
button{font:inherit;padding:8px 14px;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
button[disabled]{opacity:.5;cursor:default}
footer{text-align:center;padding:4px 16px 18px}
@media (max-width:420px){main{grid-template-columns:minmax(0,1fr);padding:10px;gap:10px}header{padding:10px}section{padding:12px}}
`;
