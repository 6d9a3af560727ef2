// Connects Hawtio (scripts/hawtio/start.sh) to a running bridge's Jolokia endpoint the way an operator does
// (Connect > Add connection > Connect), opens the Camel routes and the Quartz scheduler, and saves screenshots.
// Usage: node scripts/hawtio/check.mjs [hawtioUrl] [jolokiaPort] [outDir]   (needs playwright-core and Debian's chromium)
import { chromium } from 'playwright-core';

const hawtio = process.argv[2] ?? 'http://127.0.0.1:8090/hawtio';
const jolokiaPort = process.argv[3] ?? '9876';
const out = process.argv[4] ?? 'docs';

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1500, height: 1750 } });
  const page = await context.newPage();
  await page.goto(`${hawtio}/connect/remote`);
  await page.getByRole('button', { name: 'Add connection' }).click();
  await page.fill('#connection-form-name', 'referral-bridge');
  await page.locator('#connection-form-scheme').setChecked(false, { force: true }); // plain HTTP on loopback
  await page.fill('#connection-form-host', '127.0.0.1');
  await page.fill('#connection-form-port', jolokiaPort);
  await page.fill('#connection-form-path', '/observe/jolokia');
  await page.getByRole('button', { name: 'Test connection' }).click();
  await page.getByText('Connection successful').waitFor({ timeout: 10000 });
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByRole('button', { name: 'Connect', exact: true }).click();

  // Hawtio opens the connection in a new window.
  while (context.pages().length < 2) {
    await page.waitForTimeout(200);
  }
  const console = context.pages()[1];
  // The management server needs its credential: Hawtio asks for it when Jolokia answers 401.
  const user = process.env.BRIDGE_MANAGEMENT_USER ?? 'operator';
  const password = process.env.BRIDGE_MANAGEMENT_PASSWORD ?? 'dev-management-password';
  const login = console.locator('input[type="password"]');
  await Promise.race([login.first().waitFor({ timeout: 30000 }),
    console.getByText('Camel Contexts').waitFor({ timeout: 30000 })]).catch(() => {});
  if (await login.count()) {
    await console.getByLabel('Username').fill(user);
    await console.getByLabel('Password').fill(password);
    await console.getByRole('button', { name: 'Log in' }).click();
  }
  await console.getByText('Camel Contexts').waitFor({ timeout: 30000 });
  await console.locator('.pf-v5-c-tree-view__node-text', { hasText: /^routes$/ }).first().click();
  await console.getByText('referral-intake').last().waitFor();
  await console.waitForTimeout(3000); // one Jolokia refresh, so the counters are filled in
  await console.screenshot({ path: `${out}/hawtio-routes.png` });
  const text = await console.locator('main').innerText();
  for (const route of ['referral-intake', 'create-booking', 'poll-cycle', 'qualification-router']) {
    if (!text.includes(route)) {
      throw new Error(`route ${route} not shown by Hawtio`);
    }
  }
  process.stdout.write(`Hawtio shows the bridge's routes: ${out}/hawtio-routes.png\n`);

  // Route diagrams: the ServiceTitan call is a step of the flow (create-booking: look up, create if absent), and the
  // call itself is the HTTP step of servicetitan-call.
  for (const [route, file, step] of [['create-booking', 'hawtio-route-create-booking.png', 'Filter'],
    ['servicetitan-call', 'hawtio-route-servicetitan-call.png', 'To D']]) {
    await console.locator('.pf-v5-c-tree-view__node-text', { hasText: new RegExp(`^${route}$`) }).first().click();
    await console.getByText('Route Diagram', { exact: true }).first().click();
    await console.getByText(step).first().waitFor({ timeout: 30000 });
    await console.waitForTimeout(2000);
    await console.screenshot({ path: `${out}/${file}` });
    process.stdout.write(`Hawtio draws ${route} with the step ${step}: ${out}/${file}\n`);
  }

  // JMX > referral-bridge > operations > <instance>: the operator's tasks; run "pollNow" for all connections.
  await console.goto(console.url().replace(/\/camel\/.*$/, '/jmx'));
  const node = (text) => console.locator('li.pf-v5-c-tree-view__list-item',
    { has: console.locator('.pf-v5-c-tree-view__node-text', { hasText: text }) }).last();
  await node(/^referral-bridge$/).locator('.pf-v5-c-tree-view__node-toggle').first().click();
  await node(/^operations$/).locator('.pf-v5-c-tree-view__node-toggle').first().click();
  await console.locator('.pf-v5-c-tree-view__node-text', { hasText: /^referral-bridge$/ }).last().click();
  await console.getByText('Operations', { exact: true }).first().click();
  const pollNow = console.locator('li.pf-v5-c-data-list__item', { hasText: 'pollNow(String)' });
  await pollNow.getByRole('button', { name: 'Details' }).click();
  await pollNow.getByRole('button', { name: 'Execute' }).click();
  await console.getByText(/"requests"/).first().waitFor({ timeout: 20000 });
  await console.screenshot({ path: `${out}/hawtio-operations.png` });
  process.stdout.write(`Hawtio ran pollNow on the bridge: ${out}/hawtio-operations.png\n`);
} finally {
  await browser.close();
}
