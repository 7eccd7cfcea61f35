"""The report page's stylesheet (inline in the page: no external assets).

Allowed and denied differ in mark, word and shape, not only in colour (green fill with ✓,
hatched grey with ✕); gains and losses add a badge and a heavy outline. The principal column
stays in view while a narrow window scrolls the matrix; print keeps the colours.
"""

CSS = """
:root{--ink:#1b2230;--muted:#5d6678;--line:#d5dae3;--head:#eef1f6;--yes:#0f7a36;--yes-bg:#dff3e5;
--no:#6b7280;--no-bg:#f4f5f7;--gain:#0b5cd5;--gain-bg:#e3edff;--lose:#b42318;--lose-bg:#fde7e4}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);
background:#fff;margin:0}
main{max-width:1280px;margin:0 auto;padding:20px 20px 40px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
h3{font-size:14px;margin:16px 0 6px;color:var(--muted)}
p.sub{color:var(--muted);margin:0 0 12px}
.note{display:block;font-weight:400;font-size:11px;color:var(--muted)}
code{font:12px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--head);
padding:1px 4px;border-radius:3px;white-space:pre-wrap;word-break:break-word}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:6px 18px;padding:0;margin:0 0 12px}
.legend li{display:flex;align-items:center;gap:6px}
.scroll{overflow-x:auto;border:1px solid var(--line);border-radius:6px}
table{border-collapse:separate;border-spacing:0;width:100%}table.matrix{width:auto}
th,td{border-bottom:1px solid var(--line);border-right:1px solid var(--line);padding:6px 8px;
vertical-align:top}
thead th{background:var(--head);text-align:center;font-weight:600;white-space:nowrap}
table.plain thead th{text-align:left}
th.device{border-bottom-width:2px}
th.corner{text-align:left;vertical-align:bottom;color:var(--muted);font-weight:500;font-size:12px}
.matrix tbody th[scope=row]{text-align:left;font-weight:600;background:#fafbfc;
position:sticky;left:0;z-index:1;min-width:140px;max-width:210px}
thead .note{white-space:normal}
.matrix th.corner{position:sticky;left:0;z-index:2}
tr.group th{background:#e4e8f0;text-align:left;font-size:12px;letter-spacing:.04em;
text-transform:uppercase;color:#3a4457;position:sticky;left:0}
.matrix td{text-align:center;min-width:76px;padding:5px 6px}
.mark{font-weight:700;font-size:15px;display:inline-block;width:1.2em}
.word{display:block;font-size:11px;font-weight:600}
td.y{background:var(--yes-bg);color:var(--yes)}
td.n{color:var(--no);background:repeating-linear-gradient(135deg,var(--no-bg) 0 6px,#fff 6px 12px)}
.mark.y{color:var(--yes)}.mark.n{color:var(--no)}
.legend .mark{border:1px solid var(--line);border-radius:4px;text-align:center;padding:1px 0}
.legend .mark.y{background:var(--yes-bg)}.legend .mark.n{background:var(--no-bg)}
.ref{display:block;font:11px ui-monospace,Menlo,Consolas,monospace;color:var(--muted)}
td.y .ref{color:#2c6b43}
.lines .ref,td .ref{display:inline}
td.gained{outline:3px solid var(--gain);outline-offset:-3px}
td.lost{outline:3px dashed var(--lose);outline-offset:-3px}
.badge{display:inline-block;font-size:11px;font-weight:700;border-radius:10px;padding:0 7px;
margin:2px 0;white-space:nowrap}
.badge.gained{background:var(--gain-bg);color:var(--gain)}
.badge.lost{background:var(--lose-bg);color:var(--lose)}
.matrix td .badge{display:block}
.matrix td .ref{display:block}
ul.lines{list-style:none;padding:0;margin:0;columns:2 420px}
ul.lines li{margin:0 0 4px;break-inside:avoid}
.rules{margin-left:6px;font-size:11px;color:var(--muted)}.rules::before{content:"→ "}
@media (max-width:640px){main{padding:12px 8px}.matrix td{min-width:72px}
.matrix tbody th[scope=row]{min-width:110px;white-space:normal}h1{font-size:19px}
table.plain thead{display:none}table.plain tr{display:block;border-bottom:2px solid var(--line)}
table.plain td{display:flex;gap:8px;border:0;padding:3px 8px}
table.plain td::before{content:attr(data-label);flex:0 0 8.5em;font-weight:600;color:var(--muted)}}
@page{size:A4 landscape;margin:10mm}
@media print{main{max-width:none;padding:0}.scroll{overflow:visible;border:0}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.matrix tbody th[scope=row],tr.group th,.matrix th.corner{position:static}
body{font-size:10px}h2{font-size:14px;margin:14px 0 6px}section{break-inside:avoid-page}
#access,#lines{break-inside:auto}tr{break-inside:avoid}
.matrix td{min-width:0;padding:2px 3px}.matrix tbody th[scope=row]{min-width:0;max-width:150px}
thead th{white-space:normal}.mark{font-size:12px}.word,.ref{font-size:9px}}
"""
