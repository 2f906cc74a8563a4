// musegen view: the viewer's code. Plain JS, no framework, no network: the data comes from data/*.js script files
// that hand JSON to the functions below. Every text from the data is put in the page with textContent (el()),
// never as HTML, so a message holding markup shows as text and runs nothing.
'use strict';
(function () {
  const INDEX = window.MUSEGEN_VIEW_INDEX;
  const main = document.getElementById('main');
  const caches = { conv: {}, text: {}, pairs: {} };
  const loading = {};
  const COLS = {};
  (INDEX ? INDEX.columns : []).forEach((c) => { COLS[c.key] = c; });
  const SHOWN = ['source', 'outcome', 'end_reason', 'rounds', 'turns', 'language', 'category', 'persona.gender',
    'persona.age', 'review.keep', 'review.failed'];
  const MAIN_FILTERS = ['source', 'outcome', 'end_reason', 'rounds', 'turns', 'language', 'category',
    'persona.gender', 'persona.age', 'persona.profession', 'review.keep', 'review.failed'];
  const ROW_HEIGHT = 28;
  const times = window.MUSEGEN_VIEW_TIMES = {};

  window.MUSEGEN_VIEW_PAGE = (n, data) => { caches.conv[n] = data; };
  window.MUSEGEN_VIEW_TEXT = (n, data) => { caches.text[n] = data; };
  window.MUSEGEN_VIEW_PAIRS = (n, data) => { caches.pairs[n] = data; };

  // ---- small helpers -------------------------------------------------------------------------------------------
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null) continue;
        if (k === 'className') node.className = v;
        else if (k === 'href') node.setAttribute('href', '#' + String(v).replace(/^#/, ''));
        else if (k === 'on') Object.entries(v).forEach(([ev, f]) => node.addEventListener(ev, f));
        else if (k.startsWith('data-') || k === 'title' || k === 'type' || k === 'value' || k === 'placeholder') {
          node.setAttribute(k, String(v));
        } else node[k] = v;
      }
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  const pad = (n) => String(n).padStart(5, '0');
  function load(kind, n) {
    if (caches[kind][n]) return Promise.resolve(caches[kind][n]);
    const key = kind + n;
    if (!loading[key]) {
      loading[key] = new Promise((resolve, reject) => {
        const s = document.createElement('script');
        s.src = 'data/' + kind + '-' + pad(n) + '.js';
        s.onload = () => resolve(caches[kind][n]);
        s.onerror = () => reject(new Error('cannot load ' + s.src));
        document.head.appendChild(s);
      });
    }
    return loading[key];
  }
  function fmt(v) {
    if (v === null || v === undefined) return '';
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(3).replace(/0+$/, '').replace(/\.$/, '');
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }
  function cell(col, row) {
    if (!col) return null;
    const v = col.data[row];
    if (col.kind === 'enum') return v === null ? null : col.values[v];
    if (col.kind === 'bool') return v === null ? null : v === 1;
    if (col.kind === 'set') return v.map((i) => col.values[i]).join(', ');
    return v;
  }
  function parseHash() {
    const h = location.hash.replace(/^#/, '');
    const [path, query] = h.split('?');
    const params = new URLSearchParams(query || '');
    return { path: path || 'list', params };
  }
  function setState(state) { document.body.dataset.state = state; }
  function kv(obj, skip) {
    const t = el('table', { className: 'kv' });
    const walk = (prefix, v) => {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        Object.entries(v).forEach(([k, x]) => walk(prefix ? prefix + '.' + k : k, x));
      } else if (!(skip && skip.includes(prefix))) {
        t.appendChild(el('tr', null, el('td', null, prefix), el('td', null, Array.isArray(v) ? v.map(fmt).join('; ') : fmt(v))));
      }
    };
    walk('', obj);
    return t;
  }

  // ---- the list ------------------------------------------------------------------------------------------------
  let list = null;
  function filtersFrom(params) {
    const f = {};
    for (const [k, v] of params) if (k !== 'q' && k !== 'sort' && COLS[k]) f[k] = v;
    return f;
  }
  function match(col, want, row) {
    const v = col.data[row];
    if (col.kind === 'enum') return v !== null && col.values[v] === want;
    if (col.kind === 'bool') return v !== null && String(v) === want;
    if (col.kind === 'set') return want === '(none)' ? v.length === 0 : v.some((i) => col.values[i] === want);
    const [lo, hi] = want.split('..');
    if (v === null) return false;
    if (lo !== '' && lo !== undefined && v < Number(lo)) return false;
    if (hi !== '' && hi !== undefined && v > Number(hi)) return false;
    return true;
  }
  function compute(filters, sort, searchHits) {
    const n = INDEX.count;
    const active = Object.entries(filters).filter(([, v]) => v !== '').map(([k, v]) => [COLS[k], v]);
    const out = new Uint32Array(n);
    let m = 0;
    for (let r = 0; r < n; r++) {
      let ok = !searchHits || searchHits.has(r);
      for (let i = 0; ok && i < active.length; i++) ok = match(active[i][0], active[i][1], r);
      if (ok) out[m++] = r;
    }
    let rows = out.subarray(0, m);
    if (sort) {
      const desc = sort.startsWith('-');
      const col = COLS[sort.replace(/^-/, '')];
      if (col) {
        const key = (r) => { const v = col.data[r]; return col.kind === 'enum' && v !== null ? col.values[v] : (col.kind === 'set' ? v.length : v); };
        const arr = Array.from(rows);
        arr.sort((a, b) => {
          const x = key(a); const y = key(b);
          if (x === y) return a - b;
          if (x === null) return 1;
          if (y === null) return -1;
          return (x < y ? -1 : 1) * (desc ? -1 : 1);
        });
        rows = Uint32Array.from(arr);
      }
    }
    return rows;
  }
  async function searchRows(q) {
    const words = q.toLowerCase().trim();
    if (!words) return null;
    const pages = Math.ceil(INDEX.count / INDEX.page_size);
    const hits = new Set();
    for (let p = 0; p < pages; p++) {
      if (list) list.count.textContent = 'searching… ' + (p + 1) + ' of ' + pages + ' pages';
      const texts = await load('text', p);
      texts.forEach((t, i) => { if (t.includes(words)) hits.add(p * INDEX.page_size + i); });
    }
    return hits;
  }
  function filterControl(key) {
    const col = COLS[key];
    const label = el('label', null, key);
    let input;
    const change = () => updateHash();
    if (col.kind === 'number') {
      const lo = el('input', { type: 'number', placeholder: 'min', 'data-key': key, 'data-part': 'lo', on: { change } });
      const hi = el('input', { type: 'number', placeholder: 'max', 'data-key': key, 'data-part': 'hi', on: { change } });
      input = el('div', { className: 'range' }, lo, hi);
    } else {
      let options;
      if (col.kind === 'bool') options = [['1', 'yes'], ['0', 'no']];
      else if (col.kind === 'set') options = [['(none)', '(none)']].concat(col.values.map((v) => [v, v]));
      else options = col.values.map((v) => [v, v]);
      input = el('select', { 'data-key': key, on: { change } }, el('option', { value: '' }, '(any)'),
        options.map(([v, t]) => el('option', { value: v }, t)));
    }
    return el('div', { className: 'filter' }, label, input);
  }
  function readControls() {
    const params = new URLSearchParams();
    const q = list.search.value.trim();
    if (q) params.set('q', q);
    if (list.sort) params.set('sort', list.sort);
    list.panel.querySelectorAll('select[data-key]').forEach((s) => { if (s.value) params.set(s.dataset.key, s.value); });
    const ranges = {};
    list.panel.querySelectorAll('input[data-key]').forEach((i) => {
      ranges[i.dataset.key] = ranges[i.dataset.key] || ['', ''];
      ranges[i.dataset.key][i.dataset.part === 'lo' ? 0 : 1] = i.value;
    });
    Object.entries(ranges).forEach(([k, [lo, hi]]) => { if (lo !== '' || hi !== '') params.set(k, lo + '..' + hi); });
    return params;
  }
  function writeControls(params) {
    list.search.value = params.get('q') || '';
    list.sort = params.get('sort') || '';
    list.panel.querySelectorAll('select[data-key]').forEach((s) => { s.value = params.get(s.dataset.key) || ''; });
    list.panel.querySelectorAll('input[data-key]').forEach((i) => {
      const [lo, hi] = (params.get(i.dataset.key) || '..').split('..');
      i.value = i.dataset.part === 'lo' ? (lo || '') : (hi || '');
    });
  }
  function updateHash() {
    const params = readControls();
    const s = params.toString();
    const target = '#list' + (s ? '?' + s : '');
    if (location.hash !== target) location.hash = target;
    else route();
  }
  function buildList() {
    const panel = el('div', { className: 'panel filters' }, el('h3', null, 'Filters'));
    MAIN_FILTERS.filter((k) => COLS[k]).forEach((k) => panel.appendChild(filterControl(k)));
    const groups = {};
    INDEX.columns.filter((c) => !MAIN_FILTERS.includes(c.key)).forEach((c) => {
      const g = c.key.split('.')[0];
      (groups[g] = groups[g] || []).push(c.key);
    });
    Object.entries(groups).forEach(([g, keys]) => {
      panel.appendChild(el('details', null, el('summary', null, g + ' (' + keys.length + ')'), keys.map(filterControl)));
    });
    panel.appendChild(el('p', null, el('a', { href: 'list' }, 'clear all filters')));
    const search = el('input', { type: 'search', placeholder: 'search the text of every turn (press Enter)', id: 'search',
      on: { change: () => updateHash() } });
    const count = el('span', { id: 'count' });
    const cols = SHOWN.filter((k) => COLS[k]);
    const template = '110px ' + cols.map(() => 'minmax(60px, 1fr)').join(' ');
    const head = el('div', { className: 'head', style: 'grid-template-columns:' + template },
      el('span', null, 'id'), cols.map((k) => el('span', { 'data-key': k, title: 'sort by ' + k, on: { click: () => {
        list.sort = list.sort === '-' + k ? k : '-' + k; updateHash();
      } } }, k.replace(/^(persona|review)\./, ''))));
    const inner = el('div', { style: 'position:relative' });
    const scroller = el('div', { className: 'scroller', id: 'rows' }, inner);
    scroller.addEventListener('scroll', () => drawRows());
    const grid = el('div', { className: 'grid' }, head, scroller);
    const right = el('div', null, el('div', { className: 'toolbar' }, search, count), grid);
    main.replaceChildren(el('div', { className: 'layout' }, panel, right));
    list = { panel, search, count, head, scroller, inner, cols, template, rows: new Uint32Array(0), sort: '', view: main.firstChild };
  }
  function drawRows() {
    const { scroller, inner, rows, cols, template } = list;
    inner.style.height = rows.length * ROW_HEIGHT + 'px';
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_HEIGHT) - 5);
    const last = Math.min(rows.length, first + Math.ceil((scroller.clientHeight || 800) / ROW_HEIGHT) + 10);
    const nodes = [];
    for (let i = first; i < last; i++) {
      const r = rows[i];
      const line = el('div', { className: 'row', 'data-row': r, style: 'top:' + i * ROW_HEIGHT + 'px;grid-template-columns:' + template,
        on: { click: () => { location.hash = '#c/' + r; } } }, el('span', null, INDEX.ids[r]),
      cols.map((k) => {
        const v = cell(COLS[k], r);
        if (k === 'outcome' || k === 'source') return el('span', null, el('span', { className: 'badge ' + v }, v));
        return el('span', null, fmt(v));
      }));
      nodes.push(line);
    }
    inner.replaceChildren(...nodes);
  }
  let searchToken = 0;
  async function showList(params) {
    if (!list || !main.contains(list.view)) buildList();
    writeControls(params);
    list.head.querySelectorAll('span[data-key]').forEach((s) => {
      const k = s.dataset.key;
      s.className = list.sort === k ? 'sorted asc' : (list.sort === '-' + k ? 'sorted' : '');
    });
    const token = ++searchToken;
    setState('loading');
    const q = params.get('q') || '';
    const hits = q ? await searchRows(q) : null;
    if (token !== searchToken) return;
    list.rows = compute(filtersFrom(params), list.sort, hits);
    list.count.textContent = list.rows.length + ' of ' + INDEX.count + ' conversations';
    list.count.dataset.count = list.rows.length;
    drawRows();
    if (times.firstList === undefined) times.firstList = performance.now();
    setState('ready');
  }

  // ---- one conversation ----------------------------------------------------------------------------------------
  function picture(card) {
    const placeholder = () => el('div', { className: 'pic' }, 'no picture' + (card && card.image_ref ? ': ' + card.image_ref : ''));
    if (!card || !card.image) return placeholder();
    const img = el('img', { alt: card.title || '' });
    img.addEventListener('error', () => img.replaceWith(placeholder()));
    img.src = card.image;
    return img;
  }
  function itemCard(id, items, note) {
    const c = items[id];
    if (!c) return el('div', { className: 'card' }, el('div', { className: 'pic' }, 'not in the catalog'), el('div', { className: 'title' }, id));
    const details = Object.entries(c.details || {}).slice(0, 6).map(([k, v]) => k + ': ' + v).join(' · ');
    return el('div', { className: 'card', 'data-item': id }, picture(c), note ? el('div', { className: 'badge' }, note) : null,
      el('div', { className: 'title' }, c.title), el('div', null, (c.price !== null ? '$' + c.price : 'no price') + (c.rating ? ' · ★ ' + c.rating : '')),
      el('div', { className: 'note' }, (c.categories || []).join(' > ')), el('div', null, details), el('div', { className: 'note' }, id));
  }
  function collectFindings(review, conv) {
    const at = {};
    const add = (i, text) => { (at[i] = at[i] || []).push(text); };
    if (!review) return at;
    const unknown = (review.grounding && review.grounding.unknown_items) || [];
    const rejected = {};
    conv.turns.forEach((t, i) => {
      (t.items || []).forEach((id) => {
        if (unknown.includes(id)) add(i, 'grounding: ' + id + ' is not in the catalog');
        if (t.action === 'recommend' && rejected[id] !== undefined) add(i, 'consistency: recommends ' + id + ', rejected at turn ' + rejected[id]);
        if (t.action === 'reject') rejected[id] = i;
      });
    });
    // Any finding that names its turn (an object with a numeric `turn`, or a line saying "turn N").
    const walk = (path, v) => {
      if (Array.isArray(v)) v.forEach((x) => walk(path, x));
      else if (v && typeof v === 'object') {
        if (typeof v.turn === 'number' && v.turn < conv.turns.length) add(v.turn, path + ': ' + Object.entries(v).filter(([k]) => k !== 'turn').map(([k, x]) => k + ' ' + fmt(x)).join(', '));
        else Object.entries(v).forEach(([k, x]) => walk(path ? path + '.' + k : k, x));
      } else if (typeof v === 'string') {
        const m = /\bturn (\d+)\b/.exec(v);
        if (m && Number(m[1]) < conv.turns.length) add(Number(m[1]), path + ': ' + v);
      }
    };
    walk('', review);
    return at;
  }
  function section(title, ...body) { return el('div', { className: 'panel' }, el('h3', null, title), ...body); }
  async function showConversation(row) {
    setState('loading');
    const n = Math.floor(row / INDEX.page_size);
    const page = await load('conv', n);
    const rec = page.records[row - n * INDEX.page_size];
    const conv = rec.conversation;
    const items = page.items;
    const profile = rec.profile;
    const review = rec.review;
    const side = el('div', { className: 'side' });
    side.appendChild(section('Hidden target', conv.target_item_id ? itemCard(conv.target_item_id, items) : el('p', { className: 'note' }, 'none')));
    if (profile) {
      side.appendChild(section('Persona', kv(profile.persona)));
      side.appendChild(section('Scenario', el('p', { className: 'text' }, profile.scenario.narrative || ''),
        kv(profile.scenario, ['narrative', 'requirements']),
        el('div', null, (profile.scenario.requirements || []).map((r) => el('span', { className: 'chip' }, r.attribute + ' = ' + r.value)))));
    } else {
      side.appendChild(section('Persona', el('p', { className: 'note' }, 'no profile (an imported conversation, or the profiles file is missing)')));
    }
    side.appendChild(section('Source and metadata', kv({ source: rec.source, meta: conv.meta, usage: conv.usage })));
    if (review) {
      side.appendChild(section('Review', kv(review, ['id'])));
    } else side.appendChild(section('Review', el('p', { className: 'note' }, 'not reviewed')));
    const findings = collectFindings(review, conv);
    const chat = el('div', { className: 'chat', id: 'chat' });
    conv.turns.forEach((t, i) => {
      const slots = (t.slots || []).map((s) => el('span', { className: 'chip' + (s.negative ? ' neg' : '') }, s.attribute + ' = ' + s.value));
      const cards = (t.items || []).length && t.role === 'system' ? el('div', { className: 'cards' }, t.items.map((id) => itemCard(id, items))) : null;
      const mentions = (t.items || []).length && t.role === 'user' ? el('div', { className: 'note' }, 'about ' + t.items.join(', ')) : null;
      const bubble = el('div', { className: 'bubble' },
        el('div', { className: 'who' }, '#' + i + ' ' + t.role + ' · ', el('span', { className: 'badge' }, t.action), t.latency_ms ? ' · ' + t.latency_ms + ' ms' : ''),
        el('div', { className: 'text' }, t.text), slots.length ? el('div', { className: 'slots' }, slots) : null,
        t.query ? el('div', { className: 'note' }, 'query: ' + t.query) : null, mentions, cards);
      chat.appendChild(el('div', { className: 'turn ' + t.role, 'data-turn': i }, bubble,
        el('div', { className: 'findings' }, (findings[i] || []).map((f) => el('div', { className: 'finding' }, f)))));
    });
    const nav = el('div', { className: 'pager' }, el('a', { href: 'list' }, '← list'),
      row > 0 ? el('a', { href: 'c/' + (row - 1) }, 'previous') : null,
      row + 1 < INDEX.count ? el('a', { href: 'c/' + (row + 1) }, 'next') : null,
      el('strong', { id: 'conv-id' }, conv.id), el('span', { className: 'badge ' + rec.source }, rec.source),
      el('span', { className: 'badge ' + conv.outcome }, conv.outcome), conv.end_reason + ' · ' + conv.rounds + ' rounds · ' + conv.turns.length + ' turns',
      conv.accepted_item ? el('span', null, 'accepted ' + conv.accepted_item) : null);
    main.replaceChildren(nav, el('div', { className: 'layout' }, side, chat));
    window.scrollTo(0, 0);
    setState('ready');
  }

  // ---- preference pairs ----------------------------------------------------------------------------------------
  const PAIRS_SHOWN = 20;
  async function showPairs(params) {
    setState('loading');
    const P = INDEX.pairs;
    const pcols = {};
    P.columns.forEach((c) => { pcols[c.key] = c; });
    const want = {};
    P.columns.forEach((c) => { if (params.get(c.key)) want[c.key] = params.get(c.key); });
    const rows = [];
    for (let r = 0; r < P.count; r++) {
      if (Object.entries(want).every(([k, v]) => match(pcols[k], v, r))) rows.push(r);
    }
    const start = Math.max(0, Number(params.get('from') || 0));
    const controls = el('div', { className: 'pager' }, P.columns.map((c) => {
      const s = el('select', { 'data-key': c.key, on: { change: () => {
        const p = new URLSearchParams(); controls.querySelectorAll('select').forEach((x) => { if (x.value) p.set(x.dataset.key, x.value); });
        location.hash = '#pairs?' + p.toString();
      } } }, el('option', { value: '' }, c.key + ': any'), c.values.map((v) => el('option', { value: v }, c.key + ': ' + v)));
      s.value = want[c.key] || '';
      return s;
    }), el('span', { id: 'pair-count', 'data-count': rows.length }, rows.length + ' of ' + P.count + ' pairs'));
    const more = (from) => { const p = new URLSearchParams(params); p.set('from', from); return 'pairs?' + p.toString(); };
    const pager = el('div', { className: 'pager' }, start > 0 ? el('a', { href: more(Math.max(0, start - PAIRS_SHOWN)) }, 'previous') : null,
      'pairs ' + (rows.length ? start + 1 : 0) + '–' + Math.min(rows.length, start + PAIRS_SHOWN),
      start + PAIRS_SHOWN < rows.length ? el('a', { href: more(start + PAIRS_SHOWN) }, 'next') : null);
    const list = el('div', { id: 'pairs' });
    for (const r of rows.slice(start, start + PAIRS_SHOWN)) {
      const n = Math.floor(r / P.page_size);
      const page = await load('pairs', n);
      const p = page.records[r - n * P.page_size];
      const convRow = P.conversation[r];
      let context = el('p', { className: 'note' }, 'the conversation is not in this run folder');
      if (convRow !== null && convRow !== undefined) {
        const cn = Math.floor(convRow / INDEX.page_size);
        const cp = await load('conv', cn);
        const conv = cp.records[convRow - cn * INDEX.page_size].conversation;
        const upto = p.turn === null || p.turn === undefined ? conv.turns.length : p.turn;
        context = el('div', { className: 'context' }, conv.turns.slice(0, upto).map((t) => el('div', null, el('strong', null, t.role + ': '), t.text)));
      }
      const reply = (cls, title, text, item) => el('div', { className: cls }, el('h3', null, title), el('div', { className: 'text' }, text),
        item ? el('div', { className: 'cards' }, itemCard(item, page.items)) : null);
      list.appendChild(el('div', { className: 'pair', 'data-pair': r },
        el('div', null, el('span', { className: 'badge' }, p.kind), ' ', el('span', { className: 'badge' }, p.source), ' ', p.split || '', ' · ',
          convRow !== null && convRow !== undefined ? el('a', { href: 'c/' + convRow }, p.conversation_id) : (p.conversation_id || ''), p.turn !== null ? ' · turn ' + p.turn : ''),
        context,
        el('div', { className: 'replies' }, reply('chosen', 'chosen', p.chosen, p.chosen_item), reply('rejected', 'rejected', p.rejected, p.rejected_item)),
        el('details', null, el('summary', null, 'record'), kv(p.meta))));
    }
    main.replaceChildren(controls, P.count ? pager : el('p', { className: 'note' }, 'no preference pairs in this run folder (run `musegen export dpo`)'), list);
    setState('ready');
  }

  // ---- the report ----------------------------------------------------------------------------------------------
  const LINKS = { outcomes: 'outcome', languages: 'language', genders: 'persona.gender', categories: 'category',
    turns_histogram: 'turns', failed_checks: 'review.failed', age_bands: 'persona.age' };
  function linkFor(key, label) {
    const col = LINKS[key];
    if (!col || !COLS[col]) return null;
    let value = label;
    if (col === 'turns') value = label + '..' + label;
    if (col === 'persona.age') value = label.endsWith('+') ? label.slice(0, -1) + '..' : label.replace('-', '..');
    return 'list?' + new URLSearchParams([[col, value]]).toString();
  }
  function showReport() {
    setState('loading');
    const rep = INDEX.report;
    if (!rep) {
      main.replaceChildren(el('p', { className: 'note' }, 'no report.json in this run folder (run `musegen review`)'));
      setState('ready');
      return;
    }
    const ids = new Map(INDEX.ids.map((id, i) => [id, i]));
    const scalars = {};
    const blocks = [];
    Object.entries(rep).forEach(([k, v]) => {
      const isCounts = v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).length && Object.values(v).every((x) => typeof x === 'number') && !('mean' in v);
      if (isCounts) {
        const max = Math.max(...Object.values(v), 1);
        blocks.push(section(k, el('div', { className: 'bars' }, Object.entries(v).map(([label, count]) => {
          const href = linkFor(k, label);
          return el('div', { className: 'bar' }, href ? el('a', { href }, label) : el('span', null, label),
            el('div', { className: 'fill', style: 'width:' + (100 * count / max) + '%' }), el('span', null, fmt(count)));
        }))));
      } else if (Array.isArray(v) || (v && typeof v === 'object' && !('mean' in v))) {
        // Lists and nested figures: shown as they are, with any conversation id made a link.
        const body = el('div', null);
        const walk = (x) => {
          if (typeof x === 'string' && ids.has(x)) body.appendChild(el('div', null, el('a', { href: 'c/' + ids.get(x) }, x)));
          else if (Array.isArray(x)) x.forEach(walk);
          else if (x && typeof x === 'object') body.appendChild(kv(x));
          else body.appendChild(el('div', null, fmt(x)));
        };
        walk(v);
        if (body.childNodes.length) blocks.push(section(k, body));
      } else if (v && typeof v === 'object') {
        scalars[k] = fmt(v.mean) + ' ± ' + fmt(v.std) + ' (n ' + v.n + ')';
      } else scalars[k] = v;
    });
    main.replaceChildren(el('div', { className: 'figures', id: 'report' }, section('Figures', kv(scalars)), blocks));
    setState('ready');
  }

  // ---- routing -------------------------------------------------------------------------------------------------
  async function route() {
    const { path, params } = parseHash();
    document.querySelectorAll('header nav a').forEach((a) => a.classList.toggle('active', a.id === 'nav-' + path.split('/')[0]));
    try {
      if (path.startsWith('c/')) await showConversation(Number(path.slice(2)));
      else if (path === 'pairs') await showPairs(params);
      else if (path === 'report') showReport();
      else await showList(params);
    } catch (e) {
      main.replaceChildren(el('p', { className: 'note' }, 'error: ' + e.message));
      setState('error');
    }
  }
  if (!INDEX) {
    main.replaceChildren(el('p', { className: 'note' }, 'data/index.js is missing: run `musegen view` again.'));
    setState('error');
    return;
  }
  document.getElementById('folder').textContent = (INDEX.folder || '') + ' · ' + INDEX.count + ' conversations';
  window.addEventListener('hashchange', route);
  window.addEventListener('resize', () => { if (list && main.contains(list.view)) drawRows(); });
  window.MUSEGEN_VIEW = { route, compute, times };
  route();
}());
