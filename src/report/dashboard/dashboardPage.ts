import { escapeXml } from '../renderFigure.js';
import { REPORT_CSS } from '../reportPage.js';

const DASHBOARD_CSS = `
.layout { display: flex; min-height: calc(100vh - 52px); }
aside.runs { width: 290px; flex: none; background: #fff; border-right: 1px solid var(--line); padding: 12px 0; overflow-y: auto; }
aside.runs h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: 0 16px 8px; }
aside.runs ul { list-style: none; margin: 0; padding: 0; }
aside.runs li a { display: block; padding: 6px 16px; color: var(--ink); text-decoration: none; border-left: 3px solid transparent; }
aside.runs li a:hover { background: #f0f3f8; }
aside.runs li a.active { background: #e8eef8; border-left-color: var(--accent); }
aside.runs .run-name { display: block; font-weight: 500; overflow-wrap: anywhere; }
aside.runs .run-meta { display: block; font-size: 11px; color: var(--muted); overflow-wrap: anywhere; }
.dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px; vertical-align: 1px; background: #aab; }
.dot.incomplete { background: #f58518; }
.dot.finished { background: #54a24b; }
.badge { margin-left: auto; font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #3a4252; color: #dfe5ee; }
.badge.live { background: #2e7d32; color: #fff; }
.badge.down { background: #a33; color: #fff; }
main.view { flex: 1; min-width: 0; }
.figures > [data-slot] { max-width: 100%; min-width: 0; }
`;

/** The client: lists the runs and follows the selected one through server-sent events (no library, no network beyond this server). */
const CLIENT_SCRIPT = `
(function () {
  'use strict';
  var list = document.getElementById('run-list');
  var noRuns = document.getElementById('no-runs');
  var badge = document.getElementById('live');
  var title = document.getElementById('run-title');
  var pathEl = document.getElementById('run-path');
  var facts = document.getElementById('run-facts');
  var problems = document.getElementById('run-problems');
  var figures = document.getElementById('run-figures');
  var current = null, source = null, shown = {}, updates = 0, runs = [];
  function encodePath(p) { return p.split('/').map(encodeURIComponent).join('/'); }
  function setBadge(text, cls) { badge.textContent = text; badge.className = 'badge ' + (cls || ''); }
  function meta(r) {
    var epochs = r.plannedEpochs ? r.epochs + '/' + r.plannedEpochs : String(r.epochs);
    var state = r.status === 'finished' ? 'finished' : r.status === 'baselines' ? 'baselines only' : 'training or stopped';
    return r.path + ' · ' + epochs + ' epochs · ' + state;
  }
  function renderList() {
    list.textContent = '';
    noRuns.hidden = runs.length > 0;
    runs.forEach(function (r) {
      var li = document.createElement('li');
      var a = document.createElement('a');
      a.href = '#run=' + encodeURIComponent(r.path);
      a.dataset.path = r.path;
      if (r.path === current) a.className = 'active';
      var name = document.createElement('span');
      name.className = 'run-name';
      var dot = document.createElement('span');
      dot.className = 'dot ' + r.status;
      name.appendChild(dot);
      name.appendChild(document.createTextNode(r.name));
      var m = document.createElement('span');
      m.className = 'run-meta';
      m.textContent = meta(r);
      a.appendChild(name);
      a.appendChild(m);
      li.appendChild(a);
      list.appendChild(li);
    });
    if (current === null && runs.length > 0 && !location.hash) select(runs[0].path);
  }
  function update(view) {
    title.textContent = view.name;
    pathEl.textContent = view.path;
    facts.innerHTML = view.factsHtml;
    problems.innerHTML = view.problemsHtml;
    var keep = {};
    view.figures.forEach(function (f, i) {
      keep[f.id] = true;
      var slot = figures.querySelector('[data-slot="' + CSS.escape(f.id) + '"]');
      if (!slot) {
        slot = document.createElement('div');
        slot.dataset.slot = f.id;
        figures.insertBefore(slot, figures.children[i] || null);
      }
      if (shown[f.id] !== f.html) { slot.innerHTML = f.html; shown[f.id] = f.html; }
    });
    Array.prototype.slice.call(figures.children).forEach(function (el) {
      if (!keep[el.dataset.slot]) { delete shown[el.dataset.slot]; el.remove(); }
    });
    updates += 1;
    document.body.dataset.updates = String(updates);
    setBadge('live · updated ' + new Date().toLocaleTimeString(), 'live');
  }
  function select(path) {
    if (path === current) return;
    current = path;
    if (source) source.close();
    source = null;
    shown = {};
    figures.textContent = '';
    facts.textContent = '';
    problems.textContent = '';
    title.textContent = path;
    pathEl.textContent = '';
    renderList();
    maybeConnect();
  }
  /** Follow the selected run once the runs list has it (a run chosen by its address may not exist yet). */
  function maybeConnect() {
    if (current === null || source) return;
    if (runs.some(function (r) { return r.path === current; })) connect(current);
    else setBadge('waiting for ' + current + ' to appear…', '');
  }
  function connect(path) {
    source = new EventSource('/events/run/' + encodePath(path));
    source.addEventListener('run', function (e) { update(JSON.parse(e.data)); });
    source.addEventListener('problem', function (e) { setBadge('cannot read the run: ' + JSON.parse(e.data).message, 'down'); });
    source.onerror = function () {
      setBadge('reconnecting…', 'down');
      // A stream refused (the folder is not a run yet, or the server restarted) is not retried by the browser: retry here.
      var failed = source;
      if (failed.readyState === 2) setTimeout(function () { if (current === path && source === failed) connect(path); }, 1500);
    };
  }
  function fromHash() {
    var m = /^#run=(.*)$/.exec(location.hash);
    if (m) select(decodeURIComponent(m[1]));
  }
  window.addEventListener('hashchange', fromHash);
  var listSource = new EventSource('/events/runs');
  listSource.addEventListener('runs', function (e) { runs = JSON.parse(e.data); renderList(); maybeConnect(); });
  listSource.onopen = function () { if (!current) setBadge('connected', 'live'); };
  listSource.onerror = function () { setBadge('reconnecting…', 'down'); };
  fromHash();
})();
`;

/** The dashboard's single page: the runs list, the selected run's facts, problems and figures, kept live by the script. */
export function dashboardPage(root: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>mtl dashboard</title>
<link rel="icon" href="data:,">
<style>${REPORT_CSS}${DASHBOARD_CSS}</style></head>
<body data-updates="0"><header class="top"><h1>mtl dashboard</h1><span class="meta">${escapeXml(root)}</span><span id="live" class="badge">connecting…</span></header>
<div class="layout"><aside class="runs"><h2>Runs</h2><ul id="run-list"></ul><p id="no-runs" class="empty" style="margin: 0 16px" hidden>No run folders here yet: they appear when training starts.</p></aside>
<main class="view"><div style="padding: 16px 24px"><section class="block"><h2 id="run-title">Choose a run</h2><div class="path" id="run-path"></div><div id="run-facts"></div><div id="run-problems"></div><div class="figures" id="run-figures"></div></section></div></main></div>
<script>${CLIENT_SCRIPT}</script>
</body></html>
`;
}
