// ptr-audit html report: builds the page from the JSON data element written by
// crates/report/src/format/html.rs. Every value from the report is inserted as
// text (textContent, setAttribute), never parsed as markup.
'use strict';
(function () {
  const D = JSON.parse(document.getElementById('ptr-audit-data').textContent);
  const S = D.statuses;
  const NSTAT = S.length;
  // Okabe-Ito and Paul Tol colours: told apart with the common colour-vision
  // deficiencies; passing addresses pale, unknown grey.
  const STATUS_COLORS = {
    'ok': '#cfe7f5',
    'lookup-failed': '#8c8c8c',
    'ptr-missing': '#d55e00',
    'ptr-invalid': '#cc79a7',
    'fcrdns-failed': '#e69f00',
    'ptr-generic': '#f0e442',
    'ptr-unexpected': '#0072b2',
    'ptr-multiple': '#009e73',
    'ptr-stale': '#332288',
    'ptr-inconsistent': '#882255',
    'ptr-unknown-tld': '#44aa99',
    'dnsbl-listed': '#661100',
    'pbl-unlisted': '#999933',
  };
  const NO_RECORD_COLOR = '#ffffff';
  const color = (i) => STATUS_COLORS[S[i]] || '#444444';
  const SVGNS = 'http://www.w3.org/2000/svg';

  // ---- elements -----------------------------------------------------------
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, String(attrs[k]));
    }
    for (const k of kids) {
      if (k === null || k === undefined) continue;
      e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return e;
  }
  function svg(tag, attrs) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  const fmt = (n) => Number(n).toLocaleString('en-US');
  const full = (c) => { const a = new Array(NSTAT).fill(0); (c || []).forEach((n, i) => { a[i] = n; }); return a; };
  const sum = (a) => a.reduce((x, y) => x + y, 0);

  // ---- addresses ----------------------------------------------------------
  function parse4(s) {
    const p = s.split('.');
    if (p.length !== 4) return null;
    let n = 0;
    for (const x of p) {
      if (!/^\d{1,3}$/.test(x) || Number(x) > 255) return null;
      n = n * 256 + Number(x);
    }
    return n;
  }
  const fmt4 = (n) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  function parse6(s) {
    if (!/^[0-9a-fA-F:]+$/.test(s) || s.indexOf(':') < 0) return null;
    const halves = s.split('::');
    if (halves.length > 2) return null;
    const part = (h) => (h === '' ? [] : h.split(':'));
    const a = part(halves[0]);
    const b = halves.length === 2 ? part(halves[1]) : [];
    const missing = 8 - a.length - b.length;
    if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) return null;
    const groups = a.concat(new Array(halves.length === 2 ? missing : 0).fill('0'), b);
    let n = 0n;
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      n = (n << 16n) | BigInt(parseInt(g, 16));
    }
    return n;
  }
  function fmt6(n) {
    const g = [];
    for (let i = 7; i >= 0; i--) g.push(Number((n >> BigInt(16 * i)) & 0xffffn));
    let best = -1, bestLen = 1;
    for (let i = 0; i < 8;) {
      if (g[i] !== 0) { i++; continue; }
      let j = i;
      while (j < 8 && g[j] === 0) j++;
      if (j - i > bestLen) { best = i; bestLen = j - i; }
      i = j;
    }
    const hex = g.map((x) => x.toString(16));
    if (best < 0) return hex.join(':');
    return hex.slice(0, best).join(':') + '::' + hex.slice(best + bestLen).join(':');
  }
  // An address as {v, n}: n a Number (IPv4) or a BigInt (IPv6).
  function parseIp(s) {
    s = s.trim();
    const v4 = parse4(s);
    if (v4 !== null) return { v: 4, n: v4 };
    const v6 = parse6(s);
    return v6 === null ? null : { v: 6, n: v6 };
  }
  function parseNet(s) {
    const [a, l] = s.split('/');
    const ip = parseIp(a);
    return { v: ip.v, n: ip.n, len: Number(l) };
  }
  const fmtIp = (v, n) => (v === 4 ? fmt4(n) : fmt6(n));
  const maxLen = (v) => (v === 4 ? 32 : 128);
  // The offset of address `ip` in network `net`, or -1 outside it.
  function offsetIn(net, ip) {
    if (ip.v !== net.v) return -1;
    const host = maxLen(net.v) - net.len;
    if (net.v === 4) {
      const size = 2 ** host;
      const off = ip.n - net.n;
      return off >= 0 && off < size ? off : -1;
    }
    const off = ip.n - net.n;
    if (off < 0n || off >= (1n << BigInt(host))) return -1;
    return off;
  }
  const addIp = (v, base, off) => (v === 4 ? base + off : base + BigInt(off));

  // ---- what the page knows about addresses -------------------------------
  const detail = new Map(D.detail.map((d) => [d[0], d]));
  const okNames = new Map(D.ok_names);
  const refusing = (f) => f[3].map((i) => D.receivers[i]);

  // ---- Hilbert curve ------------------------------------------------------
  // Position of step d on the curve filling a side x side square (side a power of two).
  function d2xy(side, d) {
    let x = 0, y = 0, t = d;
    for (let s = 1; s < side; s *= 2) {
      const rx = (t >> 1) & 1;
      const ry = (t ^ rx) & 1;
      if (ry === 0) {
        if (rx === 1) { x = s - 1 - x; y = s - 1 - y; }
        const tmp = x; x = y; y = tmp;
      }
      x += s * rx; y += s * ry;
      t >>= 2;
    }
    return [x, y];
  }
  // The grid for n cells: one square, or two squares side by side (the first
  // curve ends where the second starts).
  function layout(n) {
    let k = 0;
    while ((1 << k) < n) k++;
    const h = 1 << Math.floor(k / 2);
    const w = 1 << Math.ceil(k / 2);
    const pos = (d) => {
      if (w === h) return d2xy(h, d);
      const half = h * h;
      const [x, y] = d2xy(h, d % half);
      return [x + (d >= half ? h : 0), y];
    };
    return { w, h, pos };
  }

  // ---- cells of a block ---------------------------------------------------
  // Each cell: {prefix, counts (full array), ip (for one address), lo, len}.
  function cellsOf(b) {
    const m = b.map;
    const net = parseNet(b.cidr);
    const out = [];
    if (m.kind === 'addresses') {
      const one = maxLen(net.v);
      for (let i = 0; i < m.st.length; i++) {
        const ch = m.st.charCodeAt(i);
        const counts = new Array(NSTAT).fill(0);
        if (ch !== 45) counts[ch - 48] = 1;
        const ip = fmtIp(net.v, addIp(net.v, net.n, i));
        out.push({ prefix: ip + '/' + one, ip, counts, v: net.v, lo: addIp(net.v, net.n, i), len: one });
      }
    } else if (m.kind === 'prefixes') {
      const size = 2 ** (32 - m.unit);
      for (let i = 0; i < m.cells.length; i++) {
        const lo = m.base + i * size;
        out.push({ prefix: fmt4(lo) + '/' + m.unit, counts: full(m.cells[i]), v: 4, lo, len: m.unit });
      }
    } else {
      for (const [p, c] of m.cells) {
        const n = parseNet(p);
        const cell = { prefix: p, counts: full(c), v: 6, lo: n.n, len: n.len };
        if (n.len === 128) cell.ip = fmt6(n.n);
        out.push(cell);
      }
    }
    return out;
  }
  // The status a cell is drawn in: its worst (most common failing) status,
  // `ok`, or -1 with no record; and how strongly (share failing).
  function look(counts) {
    const total = sum(counts);
    if (total === 0) return { s: -1, alpha: 1 };
    let best = 0, bestN = 0;
    for (let i = 1; i < NSTAT; i++) if (counts[i] > bestN) { best = i; bestN = counts[i]; }
    if (bestN === 0) return { s: 0, alpha: 1 };
    const failing = total - counts[0];
    return { s: best, alpha: total === 1 ? 1 : 0.45 + 0.55 * (failing / total) };
  }

  // ---- tooltip and descriptions ------------------------------------------
  const tip = el('div', { id: 'tip', role: 'tooltip' });
  function describeAddress(ip, s) {
    const lines = [ip + ' \u2014 ' + (s < 0 ? 'no record (not scanned)' : S[s])];
    const d = detail.get(ip);
    if (d) {
      lines.push('PTR: ' + d[2]);
      if (d[3]) lines.push('expected: ' + d[3]);
      for (const f of d[4]) {
        lines.push('\u2022 ' + f[0] + ' (' + f[1] + '): ' + f[2] + (f[4] ? ' [' + f[4] + ']' : ''));
        if (f[3].length) lines.push('  refused by: ' + refusing(f).join(', '));
      }
    } else if (okNames.has(ip)) {
      lines.push('PTR: ' + okNames.get(ip));
    } else if (s > 0) {
      lines.push('(not in detail: the page keeps the ' + fmt(D.detail_cap.cap) + ' worst failing addresses)');
    } else if (s === 0) {
      lines.push('(PTR not embedded: the page keeps ' + fmt(D.ok_names_cap.cap) + ' passing names)');
    }
    return lines.join('\n');
  }
  function describeCell(c) {
    if (c.ip) return describeAddress(c.ip, look(c.counts).s);
    const total = sum(c.counts);
    const lines = [c.prefix + ' \u2014 ' + fmt(total) + ' addresses with a record'];
    c.counts.forEach((n, i) => { if (n) lines.push(S[i] + ': ' + fmt(n)); });
    lines.push('click or press Enter to zoom');
    return lines.join('\n');
  }
  function showTip(text, x, y) {
    tip.textContent = text;
    tip.style.display = 'block';
    const r = tip.getBoundingClientRect();
    tip.style.left = Math.max(4, Math.min(x + 14, window.innerWidth - r.width - 8)) + 'px';
    tip.style.top = Math.max(4, Math.min(y + 14, window.innerHeight - r.height - 8)) + 'px';
  }
  const hideTip = () => { tip.style.display = 'none'; };

  // ---- maps ---------------------------------------------------------------
  const cellIndex = new WeakMap(); // rect -> {cell, block, map}
  function statusAttrs(e, counts) {
    counts.forEach((n, i) => { if (n) e.setAttribute('data-status-' + S[i], n); });
  }
  // Draws cells on a Hilbert curve; returns the svg. `cls` is the cells' class.
  function drawMap(cells, cls, label, px, onOpen, block) {
    const L = layout(Math.max(cells.length, 1));
    const scale = Math.max(1, Math.min(px / L.w, 24));
    const s = svg('svg', {
      class: 'map', viewBox: '0 0 ' + L.w + ' ' + L.h, width: Math.round(L.w * scale),
      height: Math.round(L.h * scale), 'shape-rendering': 'crispEdges', role: 'group', 'aria-label': label,
    });
    const grid = new Array(L.w * L.h).fill(null);
    const frag = document.createDocumentFragment();
    const info = { grid, w: L.w, h: L.h };
    cells.forEach((c, d) => {
      const [x, y] = L.pos(d);
      const lk = look(c.counts);
      const r = svg('rect', { class: cls, x, y, width: 1, height: 1, tabindex: d === 0 ? 0 : -1, 'data-prefix': c.prefix });
      r.setAttribute('fill', lk.s < 0 ? NO_RECORD_COLOR : color(lk.s));
      if (lk.alpha < 1) r.setAttribute('fill-opacity', lk.alpha.toFixed(2));
      statusAttrs(r, c.counts);
      grid[y * L.w + x] = r;
      cellIndex.set(r, { cell: c, block, x, y, info });
      frag.append(r);
    });
    s.append(frag);
    s.addEventListener('mouseover', (ev) => {
      const m = cellIndex.get(ev.target);
      if (m) showTip(describeCell(m.cell), ev.clientX, ev.clientY);
    });
    s.addEventListener('mousemove', (ev) => {
      if (tip.style.display === 'block' && cellIndex.get(ev.target)) showTip(tip.textContent, ev.clientX, ev.clientY);
    });
    s.addEventListener('mouseleave', hideTip);
    s.addEventListener('focusin', (ev) => {
      const m = cellIndex.get(ev.target);
      if (!m) return;
      ev.target.setAttribute('aria-label', describeCell(m.cell));
      const r = ev.target.getBoundingClientRect();
      showTip(describeCell(m.cell), r.right, r.bottom);
    });
    s.addEventListener('focusout', hideTip);
    s.addEventListener('click', (ev) => {
      const m = cellIndex.get(ev.target);
      if (m && onOpen) onOpen(m);
    });
    s.addEventListener('keydown', (ev) => {
      const m = cellIndex.get(ev.target);
      if (!m) return;
      const step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[ev.key];
      if (step) {
        const x = m.x + step[0], y = m.y + step[1];
        if (x >= 0 && y >= 0 && x < info.w && y < info.h && grid[y * info.w + x]) moveFocus(ev.target, grid[y * info.w + x]);
        ev.preventDefault();
      } else if ((ev.key === 'Enter' || ev.key === ' ') && onOpen) {
        onOpen(m);
        ev.preventDefault();
      }
    });
    return s;
  }
  function moveFocus(from, to) {
    if (from) from.setAttribute('tabindex', -1);
    to.setAttribute('tabindex', 0);
    to.focus();
  }

  // ---- zoom ---------------------------------------------------------------
  const zoom = el('section', { id: 'zoom', hidden: '', 'aria-live': 'polite' });
  function addressRows(addrs) {
    const t = el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'address'), el('th', {}, 'status'), el('th', {}, 'PTR'), el('th', {}, 'findings'))));
    const tb = el('tbody');
    for (const [ip, s] of addrs) {
      const d = detail.get(ip);
      const ptr = d ? d[2] : okNames.get(ip) || '';
      const fs = d ? d[4].map((f) => f[0] + ': ' + f[2] + (f[3].length ? ' (refused by ' + refusing(f).join(', ') + ')' : '') + (f[4] ? ' [' + f[4] + ']' : '')).join('\n') : '';
      tb.append(el('tr', { 'data-prefix': ip }, el('td', {}, ip), el('td', {}, s < 0 ? 'no record' : S[s]), el('td', { class: 'name' }, ptr), el('td', { class: 'name' }, fs)));
    }
    t.append(tb);
    return t;
  }
  // Opens the addresses of `cell` (a /24 of a large block, or the /24 around an address).
  function openZoom(m) {
    const b = m.block;
    const net = parseNet(b.cidr);
    const c = m.cell;
    let lo, len;
    const one = maxLen(net.v);
    if (c.len === one) {
      // The /24 (IPv4) or /120 (IPv6) around the address, within the block.
      len = Math.max(net.len, one - 8);
      const host = one - len;
      lo = net.v === 4 ? c.lo - (c.lo % (2 ** host)) : (c.lo >> BigInt(host)) << BigInt(host);
    } else {
      lo = c.lo; len = c.len;
    }
    const host = one - len;
    zoom.replaceChildren();
    const title = fmtIp(net.v, lo) + '/' + len;
    const close = el('button', { type: 'button' }, 'close');
    close.addEventListener('click', () => { zoom.hidden = true; });
    zoom.append(el('div', { class: 'zhead' }, el('h3', {}, 'Zoom: ' + title + ' (block ' + b.cidr + ', ' + b.dc + ')'), close));
    const body = el('div', { class: 'zbody' });
    const cells = [];
    const listed = [];
    if (host <= 8) {
      const blockCells = b.map.kind === 'addresses' ? b.map.st : null;
      const size = 2 ** host;
      for (let i = 0; i < size; i++) {
        const ipn = addIp(net.v, lo, i);
        const ip = fmtIp(net.v, ipn);
        let s = -1;
        if (blockCells) {
          const off = offsetIn(net, { v: net.v, n: ipn });
          const ch = off < 0 ? 45 : blockCells.charCodeAt(Number(off));
          s = ch === 45 ? -1 : ch - 48;
        } else if (detail.has(ip)) {
          s = detail.get(ip)[1];
        } else if (okNames.has(ip)) {
          s = 0;
        }
        const counts = new Array(NSTAT).fill(0);
        if (s >= 0) counts[s] = 1;
        cells.push({ prefix: ip + '/' + one, ip, counts, v: net.v, lo: ipn, len: one });
        if (s > 0 || (s === 0 && okNames.has(ip))) listed.push([ip, s]);
      }
      body.append(drawMap(cells, 'zcell', 'addresses of ' + title, 320, null, b));
    } else {
      // A sampled IPv6 subnet: the addresses the page holds in it.
      const sub = { v: net.v, n: lo, len };
      for (const [ip, d] of detail) { const p = parseIp(ip); if (p && offsetIn(sub, p) !== -1) listed.push([ip, d[1]]); }
      for (const [ip] of okNames) { const p = parseIp(ip); if (p && offsetIn(sub, p) !== -1) listed.push([ip, 0]); }
    }
    const side = el('div');
    const counts = c.counts;
    side.append(el('p', {}, fmt(sum(counts)) + ' addresses with a record: ' + counts.map((n, i) => (n ? S[i] + ' ' + fmt(n) : null)).filter(Boolean).join(', ')));
    if (b.map.kind !== 'addresses') side.append(el('p', { class: 'note' }, 'Above a /16 the page keeps the failing addresses in detail and counts the rest; addresses without detail are drawn white.'));
    listed.sort((a, b2) => (b2[1] > 0) - (a[1] > 0));
    side.append(addressRows(listed.slice(0, 512)));
    if (listed.length > 512) side.append(el('p', { class: 'note' }, (listed.length - 512) + ' more not listed'));
    body.append(side);
    zoom.append(body);
    zoom.hidden = false;
    zoom.scrollIntoView({ block: 'nearest' });
  }

  // ---- header -------------------------------------------------------------
  const app = document.getElementById('app');
  const meta = D.meta;
  const gate = D.gate;
  const failingTotal = sum(D.total) - (D.total[0] || 0);
  app.append(el('h1', {}, 'ptr-audit: ' + fmt(failingTotal) + ' of ' + fmt(sum(D.total)) + ' addresses need attention'));
  const badges = el('div', { class: 'badges' });
  if (meta.complete === null) badges.append(el('span', { class: 'badge warn', id: 'run-state' }, 'completeness not recorded (jsonl)'));
  else badges.append(meta.complete ? el('span', { class: 'badge info', id: 'run-state' }, 'complete') : el('span', { class: 'badge warn', id: 'run-state' }, 'interrupted: some addresses were not checked'));
  if (gate) {
    badges.append(el('span', { class: 'badge ' + (gate.failed ? 'fail' : 'pass'), id: 'gate' }, 'gate ' + (gate.failed ? 'failed' : 'passed') + ' (fail level ' + gate.fail_on + ')'));
  } else {
    badges.append(el('span', { class: 'badge warn', id: 'gate' }, 'gate not recorded (jsonl)'));
  }
  app.append(badges);
  if (gate && gate.reasons.length) {
    const ul = el('ul', { class: 'reasons' });
    for (const r of gate.reasons) ul.append(el('li', {}, r));
    app.append(ul);
  }
  const dl = el('dl', { class: 'meta' });
  const row = (k, v) => { if (v !== null && v !== undefined && v !== '') dl.append(el('dt', {}, k), el('dd', {}, v)); };
  row('inventory', meta.inventory.join(', '));
  row('scope', fmt(meta.scope) + ' addresses' + (meta.changed_since ? ' (changed since ' + meta.changed_since + ')' : '') + (meta.shard ? ', shard ' + meta.shard : ''));
  row('resolvers', meta.resolvers.join(', ') + (meta.zones ? ' (zones ' + meta.zones + ')' : '') + (meta.authoritative ? ', every authoritative server asked' : ''));
  row('started', meta.started_at);
  row('finished', meta.finished_at);
  if (gate) {
    row('unknown (no answer)', fmt(gate.unknown) + ' (limit ' + gate.max_unknown_percent + '%)');
    if (gate.suppressed) row('suppressed', fmt(gate.suppressed) + ' findings');
    if (gate.baseline) row('baseline', gate.baseline.new + ' new, ' + gate.baseline.fixed + ' fixed, ' + gate.baseline.unchanged + ' unchanged');
  }
  row('tool', 'ptr-audit ' + meta.tool_version);
  app.append(dl);

  // ---- legend and search --------------------------------------------------
  app.append(el('h2', {}, 'Map'));
  const legend = el('ul', { class: 'legend', id: 'legend' });
  const total = sum(D.total);
  S.forEach((name, i) => {
    const n = D.total[i] || 0;
    if (i > 0 && n === 0) return;
    const sw = el('span', { class: 'swatch' });
    sw.style.background = color(i);
    legend.append(el('li', { 'data-status': name }, sw, name + ': ' + fmt(n) + (total ? ' (' + (100 * n / total).toFixed(1) + '%)' : '')));
  });
  const nosw = el('span', { class: 'swatch' });
  nosw.style.background = NO_RECORD_COLOR;
  legend.append(el('li', {}, nosw, 'no record'));
  app.append(legend);
  app.append(el('p', { class: 'note' }, 'Each block is drawn along a Hilbert curve (neighbouring addresses stay neighbours): one cell per address up to a /16, one per /24 above (IPv6: per sampled /64). A cell with several addresses takes the colour of its most common failing status, stronger the larger the failing share. Hover or focus a cell for details (arrow keys move between cells); click or press Enter to zoom.'));
  if (D.detail_cap.dropped) app.append(el('p', { class: 'note' }, 'Details are embedded for the ' + fmt(D.detail_cap.cap) + ' worst failing addresses; ' + fmt(D.detail_cap.dropped) + ' more are drawn and counted without detail (the json report has them all).'));

  const search = el('form', { class: 'search', role: 'search' });
  const q = el('input', { type: 'search', id: 'search', placeholder: 'address or name', 'aria-label': 'find an address or a name' });
  search.append(q, el('button', { type: 'submit' }, 'find'));
  const results = el('div', { class: 'results', id: 'results', 'aria-live': 'polite' });
  app.append(search, results);
  app.append(zoom);

  const maps = el('div', { class: 'maps' });
  const blockMaps = [];
  D.blocks.forEach((b) => {
    const cells = cellsOf(b);
    const px = cells.length > 4096 ? 512 : cells.length > 256 ? 384 : 192;
    const m = drawMap(cells, 'cell', 'map of ' + b.cidr + ' in ' + b.dc, px, openZoom, b);
    const fig = el('figure', { class: 'block', 'data-prefix': b.cidr });
    statusAttrs(fig, full(b.counts));
    fig.append(el('figcaption', {}, b.cidr + ' ', el('span', { class: 'sub' }, b.dc + ', ' + b.policy + ', ' + fmt(sum(full(b.counts))) + ' addresses' + (b.map.incomplete ? ' (more subnets than drawn)' : ''))), m);
    maps.append(fig);
    blockMaps.push({ b, net: parseNet(b.cidr), cells, svg: m });
  });
  app.append(maps);

  function findAddress(ip) {
    for (const bm of blockMaps) {
      const off = offsetIn(bm.net, ip);
      if (off === -1) continue;
      const want = fmtIp(ip.v, ip.n);
      for (const r of bm.svg.querySelectorAll('rect.cell')) {
        const m = cellIndex.get(r);
        const c = m.cell;
        if (c.ip ? c.ip === want : offsetIn({ v: c.v, n: c.lo, len: c.len }, ip) !== -1) return { r, m, bm };
      }
      return { bm };
    }
    return null;
  }
  search.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = q.value.trim();
    results.replaceChildren();
    document.querySelectorAll('rect.hit').forEach((r) => r.classList.remove('hit'));
    if (!text) return;
    const ip = parseIp(text);
    if (ip) {
      const hit = findAddress(ip);
      if (!hit) { results.append(el('p', {}, text + ' is in no block of this report')); return; }
      if (!hit.r) { results.append(el('p', {}, text + ' is in ' + hit.bm.b.cidr + ' but not drawn')); return; }
      hit.r.classList.add('hit');
      const prev = hit.bm.svg.querySelector('rect[tabindex="0"]');
      moveFocus(prev, hit.r);
      results.append(el('p', { style: 'white-space: pre-line' }, describeCell(hit.m.cell)));
      return;
    }
    const needle = text.toLowerCase();
    const found = [];
    for (const [ipText, d] of detail) {
      if (String(d[2]).toLowerCase().includes(needle) || String(d[3] || '').toLowerCase().includes(needle)) found.push([ipText, d[2]]);
      if (found.length >= 100) break;
    }
    for (const [ipText, name] of okNames) {
      if (found.length >= 100) break;
      if (String(name).toLowerCase().includes(needle)) found.push([ipText, name]);
    }
    if (!found.length) { results.append(el('p', {}, 'no address or name matches')); return; }
    const ul = el('ul');
    for (const [ipText, name] of found) {
      const btn = el('button', { type: 'button' }, ipText);
      btn.addEventListener('click', () => { q.value = ipText; search.requestSubmit(); });
      ul.append(el('li', {}, btn, ' ', name));
    }
    results.append(el('p', {}, found.length >= 100 ? 'first 100 matches' : found.length + ' matching'), ul);
  });

  // ---- per datacenter -----------------------------------------------------
  const shown = S.map((_, i) => i).filter((i) => i === 0 || (D.total[i] || 0) > 0);
  function sortable(table, rows, keyOf) {
    const ths = table.querySelectorAll('th');
    ths.forEach((th, col) => {
      const btn = th.querySelector('button');
      btn.addEventListener('click', () => {
        const asc = th.getAttribute('aria-sort') !== 'ascending';
        ths.forEach((o) => o.removeAttribute('aria-sort'));
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        const sorted = rows.slice().sort((a, b) => {
          const x = keyOf(a, col), y = keyOf(b, col);
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        const tb = table.tBodies[0];
        for (const r of sorted) tb.append(r.tr);
      });
    });
  }
  app.append(el('h2', {}, 'Datacenters'));
  for (const dc of D.datacenters) {
    const blocks = D.blocks.filter((b) => b.dc === dc.name);
    const from = blocks.map((b) => b.migrated_from).find(Boolean);
    const sec = el('section', { class: 'dc', 'data-datacenter': dc.name });
    const counts = full(dc.counts);
    sec.append(el('h3', {}, dc.name + (from ? ' (migrated from ' + from + ')' : '') + ': ' + fmt(sum(counts) - counts[0]) + ' of ' + fmt(sum(counts)) + ' need attention'));
    const filter = el('input', { type: 'search', placeholder: 'filter blocks', 'aria-label': 'filter the blocks of ' + dc.name });
    const onlyFailing = el('input', { type: 'checkbox' });
    sec.append(el('div', { class: 'filters' }, filter, el('label', {}, onlyFailing, ' only blocks with failing addresses')));
    const head = el('tr', {}, el('th', {}, el('button', { type: 'button' }, 'block')), el('th', {}, el('button', { type: 'button' }, 'policy')), el('th', { class: 'num' }, el('button', { type: 'button' }, 'addresses')));
    for (const i of shown) head.append(el('th', { class: 'num' }, el('button', { type: 'button' }, S[i])));
    const table = el('table', { class: 'blocks' }, el('thead', {}, head));
    const tb = el('tbody');
    const rows = blocks.map((b) => {
      const c = full(b.counts);
      const tr = el('tr', { 'data-prefix': b.cidr });
      S.forEach((name, i) => tr.setAttribute('data-status-' + name, c[i]));
      tr.append(el('td', {}, b.cidr), el('td', {}, b.policy), el('td', { class: 'num' }, fmt(sum(c))));
      for (const i of shown) tr.append(el('td', { class: 'num' + (c[i] ? '' : ' zero') }, fmt(c[i])));
      tb.append(tr);
      const net = parseNet(b.cidr);
      return { tr, b, c, key: [net.v, net.n, net.len] };
    });
    table.append(tb);
    sortable(table, rows, (r, col) => {
      if (col === 0) return r.key[0] * 1e3 + (r.key[0] === 4 ? r.key[1] / 2 ** 32 : Number(r.key[1] >> 96n) / 2 ** 32);
      if (col === 1) return r.b.policy;
      if (col === 2) return sum(r.c);
      return r.c[shown[col - 3]];
    });
    const apply = () => {
      const t = filter.value.trim().toLowerCase();
      for (const r of rows) {
        const match = (!t || (r.b.cidr + ' ' + r.b.policy).toLowerCase().includes(t)) && (!onlyFailing.checked || sum(r.c) > r.c[0]);
        r.tr.hidden = !match;
      }
    };
    filter.addEventListener('input', apply);
    onlyFailing.addEventListener('change', apply);
    sec.append(table);
    app.append(sec);
  }

  // ---- migration view -----------------------------------------------------
  const migrated = D.blocks.filter((b) => b.migrated_from);
  if (migrated.length) {
    const stale = S.indexOf('ptr-stale');
    app.append(el('h2', {}, 'Migration'));
    app.append(el('p', { class: 'note' }, 'Blocks of migrated datacenters: addresses whose PTR still names the old datacenter (ptr-stale), fine now (ok), and other problems.'));
    const t = el('table', { id: 'migration' }, el('thead', {}, el('tr', {}, el('th', {}, 'block'), el('th', {}, 'from \u2192 to'), el('th', { class: 'num' }, 'addresses'), el('th', { class: 'num' }, 'still naming the old datacenter'), el('th', { class: 'num' }, 'fine now'), el('th', { class: 'num' }, 'other problems'))));
    const tb = el('tbody');
    for (const b of migrated) {
      const c = full(b.counts);
      const all = sum(c);
      const st = stale >= 0 ? c[stale] : 0;
      const tr = el('tr', { 'data-prefix': b.cidr });
      S.forEach((name, i) => tr.setAttribute('data-status-' + name, c[i]));
      tr.append(el('td', {}, b.cidr), el('td', {}, b.migrated_from + ' \u2192 ' + b.dc), el('td', { class: 'num' }, fmt(all)), el('td', { class: 'num' }, fmt(st)), el('td', { class: 'num' }, fmt(c[0])), el('td', { class: 'num' }, fmt(all - c[0] - st)));
      tb.append(tr);
    }
    t.append(tb);
    app.append(t);
  }

  // ---- block findings -----------------------------------------------------
  app.append(el('h2', {}, 'Block findings'));
  if (!D.block_findings.length) {
    app.append(el('p', { class: 'note' }, 'none'));
  } else {
    const ul = el('ul', { class: 'bf', id: 'block-findings' });
    for (const f of D.block_findings) {
      ul.append(el('li', { 'data-prefix': f.cidr }, el('code', {}, f.code), ' (' + f.severity + ') ' + f.dc + ' ' + f.cidr + ': ' + f.message + (f.note ? ' [' + f.note + ']' : '')));
    }
    app.append(ul);
  }

  document.body.append(tip);
  app.setAttribute('aria-busy', 'false');
  document.documentElement.setAttribute('data-ready', 'true');
  // Milliseconds from navigation to the page being built (for measurements).
  document.documentElement.setAttribute('data-ready-ms', String(Math.round(performance.now())));
})();
