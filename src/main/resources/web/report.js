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

async function load() {
  $('status').textContent = 'loading...'; $('status').className = '';
  try {
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
      dlBody.appendChild(row([cell(d.id), cell(d.code || d.referral_id), cell(d.route_id), cell(d.attempts),
        cell((d.cause || '').slice(0, 120)), action]));
    }
    $('status').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    $('status').textContent = 'Error: ' + e.message; $('status').className = 'error';
  }
}
$('token-form').onsubmit = (e) => { e.preventDefault(); sessionStorage.setItem('bridgeToken', $('token').value); load(); };
if ($('token').value) load();
