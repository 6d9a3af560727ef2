// Plain JS, no build step. The token stays in this tab (sessionStorage) and goes only to this bridge's API.
const $ = (id) => document.getElementById(id);
const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromHash) { sessionStorage.setItem('bridgeToken', fromHash); history.replaceState(null, '', location.pathname); }
$('token').value = sessionStorage.getItem('bridgeToken') || '';

async function api(path, options = {}) {
  const res = await fetch(path, { ...options, headers: { Authorization: 'Bearer ' + $('token').value } });
  const body = await res.json();
  if (!res.ok) throw new Error(body.detail || res.status);
  return body;
}
function cell(text) { const td = document.createElement('td'); td.textContent = text; return td; }
function row(cells) { const tr = document.createElement('tr'); cells.forEach(c => tr.appendChild(c)); return tr; }
function pct(x) { return (Number(x) * 100).toFixed(1) + ' %'; }
function duration(seconds) {
  if (seconds == null) return '-';
  const h = seconds / 3600;
  return h >= 48 ? (h / 24).toFixed(1) + ' d' : h >= 1 ? h.toFixed(1) + ' h' : Math.round(seconds / 60) + ' min';
}
function rateCell(rate) {
  const td = cell(pct(rate) + ' ');
  const bar = document.createElement('span'); bar.className = 'bar'; bar.style.width = Math.round(rate * 100) + 'px';
  td.appendChild(bar); return td;
}

// Charts drawn as inline SVG by the page itself: no library, no CDN, works offline.
const SVG = 'http://www.w3.org/2000/svg';
function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text != null) el.textContent = text;
  return el;
}
function drawFunnel(svg, funnel) {
  svg.replaceChildren();
  const max = Math.max(1, ...funnel.map(f => f.count));
  funnel.forEach((f, i) => {
    const y = 10 + i * 30, w = Math.round(360 * f.count / max);
    const prev = i === 0 ? null : funnel[i - 1].count;
    const conv = prev == null ? '' : prev === 0 ? ' (-)' : ' (' + (100 * f.count / prev).toFixed(1) + ' %)';
    svg.appendChild(svgEl('text', { x: 4, y: y + 15 }, f.step));
    svg.appendChild(svgEl('rect', { class: 'bar', x: 80, y, width: Math.max(w, 1), height: 20, 'data-count': f.count }));
    svg.appendChild(svgEl('text', { x: 86 + w, y: y + 15 }, f.count + conv));
  });
}
function drawWeeks(svg, weeks) {
  svg.replaceChildren();
  const max = Math.max(1, ...weeks.map(w => w.joined));
  const slot = Math.max(14, Math.floor(520 / Math.max(1, weeks.length)));
  weeks.forEach((w, i) => {
    const x = 30 + i * slot, h = Math.round(140 * w.joined / max), hq = Math.round(140 * w.qualified / max);
    const g = svgEl('g', { class: 'week', 'data-week': w.week });
    g.appendChild(svgEl('rect', { class: 'bar light', x, y: 160 - h, width: slot - 4, height: h,
      'data-joined': w.joined }));
    g.appendChild(svgEl('rect', { class: 'qualified', x, y: 160 - hq, width: slot - 4, height: hq, fill: '#1d4f91' }));
    g.appendChild(svgEl('title', {}, w.week + ': ' + w.joined + ' joined, ' + w.qualified + ' qualified'));
    g.appendChild(svgEl('text', { x, y: 176 }, w.week.slice(5)));
    svg.appendChild(g);
  });
  svg.appendChild(svgEl('text', { x: 2, y: 12 }, String(max)));
}
async function downloadCsv() {
  const res = await fetch('/api/exports/referrals.csv', { headers: { Authorization: 'Bearer ' + $('token').value } });
  if (!res.ok) { $('status').textContent = 'Error: ' + res.status; return; }
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await res.blob()); link.download = 'referrals.csv'; link.click();
}
$('csv').onclick = downloadCsv;

async function load() {
  $('status').textContent = 'loading...'; $('status').className = '';
  try {
    const d = await api('/api/reports/dashboard');
    $('revenue').textContent = Number(d.revenue).toFixed(2);
    $('rewards').textContent = d.rewards_triggered;
    $('time-to-qualify').textContent = duration(d.seconds_to_qualify.median) + ' / ' + duration(d.seconds_to_qualify.p90);
    $('review-queue').textContent = d.review_queue;
    $('dead-letter-count').textContent = d.dead_letters;
    drawFunnel($('funnel-chart'), d.funnel);
    drawWeeks($('weekly-chart'), d.weeks);
    const top = $('top-referrers').tBodies[0]; top.replaceChildren();
    for (const t of d.top_referrers) top.appendChild(row([cell(t.referrer), cell(t.referrals), cell(t.qualified)]));
    $('enrolled').textContent = d.enrolments.reduce((sum, e) => sum + e.enrolled, 0);
    const enrolled = $('enrolments').tBodies[0]; enrolled.replaceChildren();
    for (const e of d.enrolments) enrolled.appendChild(row([cell(e.campaign), cell(e.enrolled), cell(e.skipped)]));
    const backfills = await api('/api/enrolments/backfills');
    const bfBody = $('backfills').tBodies[0]; bfBody.replaceChildren();
    for (const b of backfills.backfills) {
      const bar = document.createElement('progress'); bar.max = Math.max(b.total, 1); bar.value = b.done;
      const progress = document.createElement('td'); progress.appendChild(bar);
      bfBody.appendChild(row([cell(b.id), cell(b.campaign), cell(b.from.slice(0, 10) + ' to ' + b.to.slice(0, 10)),
        cell(b.state), progress, cell(b.done + ' / ' + (b.estimated ? '~' : '') + b.total), cell(b.ratePerMinute),
        cell(b.secondsLeft == null ? '-' : duration(b.secondsLeft)), cell(b.customers.enrolled),
        cell(b.customers.skipped), cell(b.customers.failed)]));
    }
    const summary = await api('/api/reports/summary');
    const tbody = $('summary').tBodies[0]; tbody.replaceChildren();
    for (const c of summary.campaigns) {
      tbody.appendChild(row([cell(c.campaign_id), cell(c.joined), cell(c.booked), cell(c.became_jobs),
        cell(c.qualified), cell(c.platform_notified), rateCell(c.qualification_rate),
        cell(duration(c.median_seconds_to_qualify)), cell(Number(c.revenue).toFixed(2)), cell(c.existing_customers),
        cell(c.pending_review), cell(c.clawed_back), cell(c.qualified_not_yet_told), cell(c.matched_by_booking),
        cell(c.matched_by_email), cell(c.matched_by_phone), cell(c.matched_by_code_field)]));
    }
    const weekly = $('weekly').tBodies[0]; weekly.replaceChildren();
    const day = 86400000, now = Date.now();
    for (let w = 7; w >= 0; w--) {
      const from = new Date(now - (w + 1) * 7 * day).toISOString(), to = new Date(now - w * 7 * day).toISOString();
      const s = await api('/api/reports/summary?from=' + from + '&to=' + to);
      for (const c of s.campaigns) {
        weekly.appendChild(row([cell(from.slice(0, 10)), cell(c.campaign_id), cell(c.joined), cell(c.qualified),
          rateCell(c.qualification_rate)]));
      }
    }
    const reviews = await api('/api/match-reviews');
    const mrBody = $('match-reviews').tBodies[0]; mrBody.replaceChildren();
    for (const m of reviews.matchReviews) {
      mrBody.appendChild(row([cell(m.job_id), cell(m.connection), cell(m.candidates), cell(m.matched_by),
        cell(new Date(m.created_at).toLocaleString())]));
    }
    const dl = await api('/admin/dead-letters');
    const dlBody = $('dead-letters').tBodies[0]; dlBody.replaceChildren();
    for (const d of dl.deadLetters) {
      const button = document.createElement('button'); button.textContent = 'Replay';
      button.onclick = async () => { await api('/admin/dead-letters/' + d.id + '/replay', { method: 'POST' }); load(); };
      const action = document.createElement('td'); action.appendChild(button);
      dlBody.appendChild(row([cell(d.id), cell(d.code || d.referral_id || ('enrolment ' + d.enrolment_id)), cell(d.route_id), cell(d.attempts),
        cell((d.cause || '').slice(0, 120)), action]));
    }
    $('status').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    $('status').textContent = 'Error: ' + e.message; $('status').className = 'error';
  }
}
$('token-form').onsubmit = (e) => { e.preventDefault(); sessionStorage.setItem('bridgeToken', $('token').value); load(); };
if ($('token').value) load();
