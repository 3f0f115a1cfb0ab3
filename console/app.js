// The modelgate operator console: a small static page that reads the gateway's own admin API with
// the admin token in the Authorization header (never a cookie, so another site cannot make the
// browser send it: no CSRF). All text goes in with textContent, never as HTML.
'use strict';
(() => {
  const TOKEN = 'modelgate.adminToken';
  const REFRESH_MS = 3000;
  const $ = (id) => document.getElementById(id);
  let timer = null;

  function token() { return sessionStorage.getItem(TOKEN); }

  async function api(method, path, body) {
    const headers = { authorization: `Bearer ${token()}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit' });
    if (r.status === 401) { signOut('the admin token was refused'); throw new Error('unauthorized'); }
    let data = null;
    try { data = await r.json(); } catch { data = null; }
    return { status: r.status, data };
  }

  function cell(tr, text, cls) {
    const td = document.createElement('td');
    td.textContent = text === null || text === undefined ? '—' : String(text);
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function fill(tableId, rows, render) {
    const tbody = $(tableId).querySelector('tbody');
    tbody.replaceChildren();
    for (const row of rows) {
      const tr = document.createElement('tr');
      render(tr, row);
      tbody.appendChild(tr);
    }
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      const td = cell(tr, 'none');
      td.colSpan = $(tableId).querySelectorAll('th').length;
      tbody.appendChild(tr);
    }
  }

  function when(v) {
    if (v === null || v === undefined || v === '') return null;
    const d = new Date(typeof v === 'number' && v < 1e12 ? v * 1000 : v);
    return Number.isNaN(d.getTime()) ? String(v) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }

  function spark(values) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('viewBox', '0 0 120 24');
    const max = Math.max(1, ...values);
    const step = values.length > 1 ? 120 / (values.length - 1) : 0;
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', values.map((v, i) => `${(i * step).toFixed(1)},${(23 - (v / max) * 22).toFixed(1)}`).join(' '));
    svg.appendChild(line);
    return svg;
  }

  function renderState(s) {
    const ov = $('overview-list');
    ov.replaceChildren();
    const total = s.requests.reduce((a, r) => a + r.value, 0);
    for (const [k, v] of [['Uptime', `${s.uptimeSeconds} s`], ['Requests answered', total], ['In flight', s.inFlight], ['Refused', s.rejections.reduce((a, r) => a + r.value, 0)]]) {
      const dt = document.createElement('dt'); dt.textContent = k;
      const dd = document.createElement('dd'); dd.textContent = String(v);
      ov.append(dt, dd);
    }
    fill('usage-table', s.usage.keys, (tr, k) => {
      cell(tr, k.key);
      cell(tr, Math.round(k.total), 'num');
      cell(tr, Math.round(k.perInterval.reduce((a, b) => a + b, 0)), 'num');
      cell(tr, '').replaceChildren(spark(k.perInterval));
    });
    fill('rejections-table', s.rejections, (tr, r) => { cell(tr, r.code); cell(tr, r.value, 'num'); });
    const det = [
      ...s.detections.map((d) => ({ kind: 'prompt injection', type: d.action, value: d.value })),
      ...s.redactions.map((d) => ({ kind: 'output redaction', type: d.pii_type, value: d.value })),
      ...s.leaks.map((d) => ({ kind: 'system-prompt leak', type: d.kind, value: d.value })),
    ];
    fill('detections-table', det, (tr, d) => { cell(tr, d.kind); cell(tr, d.type); cell(tr, d.value, 'num'); });
    fill('targets-table', s.targets, (tr, t) => { cell(tr, t.upstream); cell(tr, t.target); cell(tr, t.up ? 'in rotation' : 'out (ejected or unhealthy)', t.up ? 'up' : 'down'); });
    const queue = new Map(s.queue.map((q) => [q.upstream, q.length]));
    fill('slots-table', s.slots, (tr, q) => { cell(tr, q.upstream); cell(tr, q.inUse, 'num'); cell(tr, queue.get(q.upstream) ?? 0, 'num'); });
  }

  const list = (data, field) => (Array.isArray(data) ? data : (data && Array.isArray(data[field]) ? data[field] : []));

  async function refreshKeys() {
    const r = await api('GET', '/admin/keys');
    const available = r.status === 200;
    $('keys-unavailable').hidden = available;
    $('keys-body').hidden = !available;
    if (!available) return;
    fill('keys-table', list(r.data, 'keys'), (tr, k) => {
      cell(tr, k.id); cell(tr, k.tier); cell(tr, when(k.createdAt ?? k.created)); cell(tr, when(k.expiresAt ?? k.expires)); cell(tr, when(k.lastUsedAt ?? k.lastUsed));
      const td = cell(tr, '');
      if (k.source === 'config') { td.textContent = 'from the config file'; return; }
      const rotate = document.createElement('button'); rotate.type = 'button'; rotate.textContent = 'Rotate';
      rotate.addEventListener('click', () => act('POST', `/admin/keys/${encodeURIComponent(k.id)}/rotate`, {}, `Rotate ${k.id}? The old key stays valid for the grace period.`));
      const revoke = document.createElement('button'); revoke.type = 'button'; revoke.textContent = 'Revoke';
      revoke.addEventListener('click', () => act('DELETE', `/admin/keys/${encodeURIComponent(k.id)}`, undefined, `Revoke ${k.id} now, on every replica?`));
      td.replaceChildren(rotate, revoke);
    });
  }

  async function refreshBans() {
    const r = await api('GET', '/admin/bans');
    const available = r.status === 200;
    $('bans-unavailable').hidden = available;
    $('bans-table').hidden = !available;
    if (!available) return;
    fill('bans-table', list(r.data, 'bans'), (tr, b) => {
      cell(tr, b.kind); cell(tr, b.value ?? b.subject ?? b.target); cell(tr, b.reason ?? b.rule); cell(tr, when(b.until ?? b.expiresAt));
    });
  }

  function showOnce(key) {
    $('key-once-value').textContent = key;
    $('key-once').hidden = false;
  }

  async function act(method, path, body, question) {
    if (question && !window.confirm(question)) return;
    const r = await api(method, path, body);
    if (r.status >= 400) { $('status').textContent = `refused: ${(r.data && r.data.error && r.data.error.code) || r.status}`; return; }
    if (r.data && typeof r.data.key === 'string') showOnce(r.data.key);
    await refresh();
  }

  async function refresh() {
    if (token() === null) return;
    try {
      const r = await api('GET', '/admin/console/state');
      if (r.status !== 200) throw new Error(`state: ${r.status}`);
      renderState(r.data);
      await Promise.all([refreshKeys(), refreshBans()]);
      $('status').textContent = `live — updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      if (token() !== null) $('status').textContent = `cannot reach the gateway (${err.message})`;
    }
  }

  function signIn(t) {
    sessionStorage.setItem(TOKEN, t);
    $('signin').hidden = true;
    $('app').hidden = false;
    $('signout').hidden = false;
    refresh();
    clearInterval(timer);
    timer = setInterval(refresh, REFRESH_MS);
  }

  function signOut(why) {
    sessionStorage.removeItem(TOKEN);
    clearInterval(timer);
    $('app').hidden = true;
    $('signin').hidden = false;
    $('signout').hidden = true;
    $('key-once').hidden = true;
    $('key-once-value').textContent = '';
    $('status').textContent = why || 'not signed in';
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('signin-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const t = $('token').value.trim();
      $('token').value = '';
      if (t !== '') signIn(t);
    });
    $('signout').addEventListener('click', () => signOut());
    $('key-create').addEventListener('submit', (e) => {
      e.preventDefault();
      const body = { id: $('key-id').value.trim() };
      const tier = $('key-tier').value.trim();
      if (tier !== '') body.tier = tier;
      act('POST', '/admin/keys', body);
      $('key-id').value = '';
    });
    $('key-once-done').addEventListener('click', () => { $('key-once').hidden = true; $('key-once-value').textContent = ''; });
    if (token() !== null) signIn(token());
  });
})();
