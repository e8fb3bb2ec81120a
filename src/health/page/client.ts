// The status page's script (runs in the browser): reads `/events`, fills the page as text, draws two SVG charts.
// Everything shown is set with textContent or numeric attributes: log lines and names are untrusted text.
// Kept as plain ES2017 in a string (no template literals inside: this file is itself one).

/** `GET /_page/app.js`. */
export const PAGE_JS = String.raw`'use strict';
(function () {
  var MAX_LINES = 100;
  var STALE_MS = 5000;
  var W = 300, H = 60;
  var lines = [];
  var history = null;
  var liveMemory = [];
  var lastFrame = null;
  var lastFrameAt = 0;
  var source = null;

  function $(id) { return document.getElementById(id); }
  function text(id, value) { var e = $(id); if (e) e.textContent = value === null || value === undefined || value === '' ? '—' : String(value); }
  function el(tag, cls, value) { var e = document.createElement(tag); if (cls) e.className = cls; if (value !== undefined) e.textContent = String(value); return e; }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function pad(n) { return n < 10 ? '0' + n : String(n); }
  function clock(t) { var d = new Date(t); return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()); }
  function stamp(t) { if (!t) return '—'; var d = new Date(t); return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + clock(t); }
  function dur(ms) {
    if (ms === null || ms === undefined || !isFinite(ms)) return '—';
    if (ms < 0) ms = 0;
    var s = Math.floor(ms / 1000);
    if (s < 60) return s + ' s';
    var m = Math.floor(s / 60);
    if (m < 60) return m + ' min ' + (s % 60) + ' s';
    var h = Math.floor(m / 60);
    if (h < 48) return h + ' h ' + (m % 60) + ' min';
    return Math.floor(h / 24) + ' d ' + (h % 24) + ' h';
  }
  function bytes(n) {
    if (n === null || n === undefined) return '—';
    var units = ['B', 'KB', 'MB', 'GB', 'TB'];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
  }
  function word(s) { return /^[a-z-]+$/.test(String(s)) ? String(s) : 'unknown'; }

  function exitText(x, now) {
    if (!x) return null;
    var how = x.reason === 'signalled' ? 'killed by ' + x.signal : x.reason === 'spawn-failed' ? 'could not start' : 'exited with code ' + x.code;
    return how + ' · ' + dur(now - x.at) + ' ago';
  }

  function renderStatus(f) {
    var s = f.status, now = f.now;
    text('bot', s.bot.username ? '@' + s.bot.username : 'bot ' + s.bot.id);
    text('bot-id', 'id ' + s.bot.id);
    var role = $('role');
    role.textContent = s.role;
    role.className = 'role role-' + word(s.role);
    document.title = (s.bot.username ? '@' + s.bot.username : 'bot ' + s.bot.id) + ' · ' + s.role + ' · botwarden';

    text('instance', s.instance.host + ' pid ' + s.instance.pid + ' (' + s.role + ')');
    var h = s.lease.holder;
    text('holder', h ? h.host + ' pid ' + h.pid + (h.instanceId === s.instance.id ? ' (this instance)' : '') : 'nobody');
    text('fence', h ? h.fence : s.lease.fence);
    text('since', h ? stamp(h.since) + ' (' + dur(now - h.since) + ')' : null);
    text('expiry', h ? (h.expiresAt >= now ? 'in ' + dur(h.expiresAt - now) : dur(now - h.expiresAt) + ' ago') + ' · ttl ' + dur(s.lease.ttlMs) : null);
    text('backend', s.lease.backend);

    var c = s.child;
    text('child-state', c.state);
    text('child-pid', c.pid);
    text('uptime', c.startedAt && c.pid ? dur(now - c.startedAt) : null);
    text('restarts', c.restarts);
    text('last-exit', exitText(c.lastExit, now));
    text('memory', bytes(c.memoryBytes));

    var g = s.gateway;
    text('updates-total', g.updatesForwarded);
    text('polling', g.polling ? 'yes' : 'no');
    text('gateway', g.used ? 'in use by the bot' : 'not used yet (a bot that ignores TELEGRAM_API_ROOT has no fencing)');
    $('gateway').className = g.used ? '' : 'warn';
    text('api', s.api.reachable ? 'reachable' : 'unreachable');
    $('api').className = s.api.reachable ? 'ok' : 'bad';

    text('conflicts', s.conflicts);
    var causes = $('conflict-causes');
    clear(causes);
    Object.keys(s.conflictsByCause || {}).forEach(function (k) {
      var li = el('li');
      li.appendChild(el('span', '', k));
      li.appendChild(el('b', '', s.conflictsByCause[k]));
      causes.appendChild(li);
    });

    var steps = $('preflight');
    clear(steps);
    var marks = { ok: '✓', warn: '!', fail: '✗', running: '…', skipped: '–' };
    (s.preflight || []).forEach(function (st) {
      var li = el('li', 'st-' + word(st.state));
      li.appendChild(el('span', 'mark', marks[st.state] || '?'));
      li.appendChild(el('span', 'label', st.label + (st.durationMs !== undefined ? ' (' + st.durationMs + ' ms)' : '')));
      li.appendChild(el('span', 'detail', st.detail || ''));
      steps.appendChild(li);
    });

    renderWorkers(s.workers, s.instance.id, now);

    text('version', 'botwarden ' + s.instance.version + ' · ' + s.instance.id);
    $('actions').hidden = !f.actions;
  }

  function renderWorkers(w, me, now) {
    $('workers').hidden = !w;
    if (!w) return;
    text('w-partitions', w.partitions.length ? w.partitions.join(', ') + (w.draining.length ? ' (handing back ' + w.draining.join(', ') + ')' : '') : 'none');
    text('w-inhand', w.inHand);
    var p = w.poller;
    var self = p.self && p.self.running;
    text('w-poller', (self ? 'this instance' : p.instance || 'nobody yet') + (p.lastAppendAt ? ' · last stored ' + dur(now - p.lastAppendAt) + ' ago (update ' + p.lastUpdateId + ')' : '') + (self && p.self.lastError ? ' · ' + p.self.lastError : ''));
    text('w-members', w.members.length + ': ' + w.members.join(', '));
    text('w-store', w.store + ' · ' + w.partitionCount + ' partitions');
    var body = $('w-lag');
    clear(body);
    (w.lag || []).forEach(function (lag, i) {
      var tr = el('tr');
      var owner = w.owners[i];
      tr.appendChild(el('td', '', i));
      tr.appendChild(el('td', owner === me ? 'ok' : owner ? '' : 'warn', owner === me ? 'this instance' : owner || 'free'));
      tr.appendChild(el('td', lag > 0 ? 'warn' : '', lag));
      body.appendChild(tr);
    });
  }

  function path(points, x0, span, max, gaps) {
    var d = '', area = '', run = [];
    function flush() {
      if (run.length === 0) return;
      d += 'M' + run.join('L');
      area += 'M' + run[0].split(',')[0] + ',' + H + 'L' + run.join('L') + 'L' + run[run.length - 1].split(',')[0] + ',' + H + 'Z';
      run = [];
    }
    points.forEach(function (p) {
      if (p[1] === null) { if (gaps) flush(); return; }
      var x = Math.max(0, Math.min(W, ((p[0] - x0) / span) * W));
      var y = H - 2 - (max > 0 ? (p[1] / max) * (H - 6) : 0);
      run.push(x.toFixed(1) + ',' + y.toFixed(1));
    });
    flush();
    return { line: d, area: area };
  }
  // The x axis spans the last 15 minutes, or less (at least 10 s) while there is less to show.
  function chart(prefix, label, points, now, fmt, gaps) {
    var span = history.windowMs;
    var first = points.filter(function (p) { return p[1] !== null; })[0];
    if (first) span = Math.min(span, Math.max(10000, now - first[0]));
    var max = 0;
    points.forEach(function (p) { if (p[1] !== null && p[1] > max) max = p[1]; });
    var p = path(points, now - span, span, max * 1.1, gaps);
    $(prefix + '-line').setAttribute('d', p.line);
    $(prefix + '-area').setAttribute('d', p.area);
    text(prefix + '-span', label + ', last ' + dur(span).replace(/ 0 s$/, ''));
    text(prefix + '-max', points.length ? 'max ' + fmt(max) : 'no samples yet');
  }
  // The samples come every ~10 s; each chart also runs on to the reading of this frame.
  function liveRate(s, now) {
    var last = history.last;
    if (!last || now - last.at < 1000) return null;
    var delta = s.gateway.updatesForwarded - last.updatesForwarded;
    return Math.round(((delta < 0 ? s.gateway.updatesForwarded : delta) * 600000) / (now - last.at)) / 10;
  }
  function renderHistory(s, now) {
    if (!history) return;
    var since = history.last ? history.last.at : 0;
    liveMemory.push([now, s.child.memoryBytes]);
    liveMemory = liveMemory.filter(function (p) { return p[0] > since; }).slice(-120);
    var rate = liveRate(s, now);
    chart('mem', 'memory', history.memory.concat(liveMemory), now, bytes, true);
    chart('upd', 'updates/min', rate === null ? history.updatesPerMinute : history.updatesPerMinute.concat([[now, rate]]), now, function (n) { return n + '/min'; }, false);
    var prev = history.updatesPerMinute[history.updatesPerMinute.length - 1];
    text('updates-rate', rate !== null ? rate : prev ? prev[1] : null);
  }

  function renderLines(f) {
    var box = $('log');
    var atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 30;
    if (f.reset) { lines = []; clear(box); }
    f.lines.forEach(function (l) {
      lines.push(l);
      var row = el('div', 'lv-' + word(l.level));
      row.appendChild(el('span', 'src', clock(l.at) + ' ' + (l.source === 'bot' ? 'bot ' : 'bw  ') + ' '));
      row.appendChild(document.createTextNode(l.text));
      box.appendChild(row);
    });
    while (lines.length > MAX_LINES) { lines.shift(); if (box.firstChild) box.removeChild(box.firstChild); }
    if (atBottom || f.reset) box.scrollTop = box.scrollHeight;
  }

  function conn(state, label) { var e = $('conn'); e.className = 'conn conn-' + state; e.textContent = label; }

  function onFrame(ev) {
    var f;
    try { f = JSON.parse(ev.data); } catch (e) { return; }
    lastFrame = f;
    lastFrameAt = Date.now();
    if (f.history) history = f.history;
    renderStatus(f);
    renderHistory(f.status, f.now);
    renderLines(f);
    text('updated', 'updated ' + clock(f.now));
    conn('live', 'live');
  }

  function connect() {
    if (source) source.close();
    source = new EventSource('events');
    source.onmessage = onFrame;
    source.onopen = function () { conn('live', 'live'); };
    source.onerror = function () {
      conn(source.readyState === 2 ? 'down' : 'wait', source.readyState === 2 ? 'disconnected' : 'reconnecting…');
      // A stream the browser gave up on (closed for good) is opened again after a pause.
      if (source.readyState === 2) setTimeout(connect, 3000);
    };
  }
  setInterval(function () {
    if (lastFrame && Date.now() - lastFrameAt > STALE_MS) conn('wait', 'no update for ' + dur(Date.now() - lastFrameAt));
  }, 1000);

  function act(name) {
    var secret = $('secret').value;
    var out = $('action-result');
    if (!secret) { out.textContent = 'Enter the action secret first.'; out.className = 'small warn'; return; }
    var buttons = [$('do-restart'), $('do-step-down')];
    buttons.forEach(function (b) { b.disabled = true; });
    out.textContent = name + '…';
    out.className = 'small muted';
    fetch('actions/' + name, { method: 'POST', headers: { 'X-Botwarden-Secret': secret }, credentials: 'omit', cache: 'no-store' })
      .then(function (r) { return r.json().then(function (b) { return { status: r.status, body: b }; }); })
      .then(function (r) {
        out.textContent = r.body.ok ? name + ': accepted' : name + ': ' + (r.body.error || ('HTTP ' + r.status));
        out.className = 'small ' + (r.body.ok ? 'ok' : 'bad');
      }, function (e) { out.textContent = name + ': ' + e.message; out.className = 'small bad'; })
      .then(function () { buttons.forEach(function (b) { b.disabled = false; }); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('action-form').addEventListener('submit', function (e) { e.preventDefault(); });
    $('do-restart').addEventListener('click', function () { if (confirm('Restart the bot on this instance?')) act('restart'); });
    $('do-step-down').addEventListener('click', function () { if (confirm('Hand the lease to a standby?')) act('step-down'); });
    connect();
  });
})();
`;
