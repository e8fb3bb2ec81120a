// The status page's HTML: static markup with empty slots the page script fills (as text) from the event stream.

/** `GET /`. No external URL anywhere; script and style come from this server (`/_page/…`). */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>botwarden status</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/_page/app.css">
<script src="/_page/app.js" defer></script>
</head>
<body>
<header>
  <div class="who">
    <h1 id="bot">botwarden</h1>
    <span id="bot-id" class="muted"></span>
  </div>
  <div class="state">
    <span id="role" class="role role-starting">connecting</span>
    <span id="conn" class="conn conn-wait" title="live updates">connecting…</span>
  </div>
</header>
<main>
  <section>
    <h2>Lease</h2>
    <dl>
      <dt>This instance</dt><dd id="instance">—</dd>
      <dt>Holder</dt><dd id="holder">—</dd>
      <dt>Fencing number</dt><dd id="fence">—</dd>
      <dt>Holder since</dt><dd id="since">—</dd>
      <dt>Expires</dt><dd id="expiry">—</dd>
      <dt>Backend</dt><dd id="backend">—</dd>
    </dl>
  </section>
  <section>
    <h2>Bot process</h2>
    <dl>
      <dt>State</dt><dd id="child-state">—</dd>
      <dt>PID</dt><dd id="child-pid">—</dd>
      <dt>Uptime</dt><dd id="uptime">—</dd>
      <dt>Restarts</dt><dd id="restarts">—</dd>
      <dt>Last exit</dt><dd id="last-exit">—</dd>
      <dt>Memory</dt><dd id="memory">—</dd>
    </dl>
    <figure>
      <svg id="mem-chart" class="chart" viewBox="0 0 300 60" preserveAspectRatio="none" role="img" aria-label="memory of the bot process tree, last 15 minutes">
        <path id="mem-area" class="area" d=""/><path id="mem-line" class="line" d=""/>
      </svg>
      <figcaption><span id="mem-span">memory, last 15 min</span><span id="mem-max" class="muted"></span></figcaption>
    </figure>
  </section>
  <section>
    <h2>Updates</h2>
    <dl>
      <dt>Forwarded</dt><dd id="updates-total">—</dd>
      <dt>Per minute</dt><dd id="updates-rate">—</dd>
      <dt>Polling</dt><dd id="polling">—</dd>
      <dt>Gateway</dt><dd id="gateway">—</dd>
      <dt>Bot API</dt><dd id="api">—</dd>
    </dl>
    <figure>
      <svg id="upd-chart" class="chart" viewBox="0 0 300 60" preserveAspectRatio="none" role="img" aria-label="updates forwarded per minute, last 15 minutes">
        <path id="upd-area" class="area" d=""/><path id="upd-line" class="line" d=""/>
      </svg>
      <figcaption><span id="upd-span">updates/min, last 15 min</span><span id="upd-max" class="muted"></span></figcaption>
    </figure>
  </section>
  <section id="workers" hidden>
    <h2>Workers</h2>
    <dl>
      <dt>Partitions here</dt><dd id="w-partitions">—</dd>
      <dt>In hand</dt><dd id="w-inhand">—</dd>
      <dt>Poller</dt><dd id="w-poller">—</dd>
      <dt>Members</dt><dd id="w-members">—</dd>
      <dt>Store</dt><dd id="w-store">—</dd>
    </dl>
    <table class="plain small"><thead><tr><th>partition</th><th>owner</th><th>lag</th></tr></thead><tbody id="w-lag"></tbody></table>
  </section>
  <section class="log-card">
    <h2>Log <span class="muted small">(last 100 lines, token redacted)</span></h2>
    <div id="log" class="log" role="log" aria-live="off"></div>
  </section>
  <section>
    <h2>409 Conflicts absorbed</h2>
    <p class="big" id="conflicts">—</p>
    <ul id="conflict-causes" class="plain"></ul>
    <p class="muted small">Answered by Telegram to this instance's gateway and never shown to the bot.</p>
  </section>
  <section id="actions" hidden>
    <h2>Actions</h2>
    <form id="action-form" autocomplete="off">
      <label for="secret">Action secret</label>
      <input id="secret" type="password" autocomplete="off" spellcheck="false">
      <div class="buttons">
        <button type="button" id="do-restart">Restart the bot</button>
        <button type="button" id="do-step-down">Step down</button>
      </div>
      <p id="action-result" class="small" role="status"></p>
    </form>
  </section>
  <section>
    <h2>Preflight</h2>
    <ol id="preflight" class="steps"></ol>
  </section>
</main>
<footer class="muted small"><span id="version"></span> · <span id="updated">waiting for the first update</span></footer>
</body>
</html>
`;
