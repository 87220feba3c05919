// browser.mjs URL: a person's path through kennis in headless Chromium, as TAP.
// Opens the front page, follows a wiki link, edits the page through the form, and sees it
// rendered; searches from the header box, follows a result, the customer 360, backlinks
// and a feed; checks that no console error (a CSP violation shows as one) happened.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const base = process.argv[2];
const shots = process.env.SHOTS || '';
let n = 0, failed = 0;
function ok(cond, desc, extra) {
  n++;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${desc}`);
  if (!cond) { failed++; if (extra) console.log(`#   ${String(extra).split('\n').join('\n#   ')}`); }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const errors = [];
try {
  const page = await browser.newPage();
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', e => errors.push(String(e)));

  let resp = await page.goto(base + '/');
  ok(resp.status() === 200, 'front page loads');
  ok((await page.title()).startsWith('Home'), 'front page title is Home', await page.title());
  ok(await page.locator('link[rel=stylesheet]').count() === 1, 'stylesheet linked');
  const bg = await page.evaluate(() => getComputedStyle(document.querySelector('header.top')).display);
  ok(bg === 'flex', 'stylesheet applied (header is a flex box)', bg);
  if (shots) { mkdirSync(shots, { recursive: true }); await page.screenshot({ path: `${shots}/home.png`, fullPage: true }); }

  await page.locator('main a.wikilink', { hasText: 'Customers/Acme Corp' }).first().click();
  await page.waitForURL('**/wiki/Customers/Acme-Corp');
  ok(true, 'wiki link leads to the customer page');
  ok((await page.locator('h1.page-title').innerText()).trim() === 'Acme Corp', 'customer page heading');
  ok(await page.locator('article table td', { hasText: 'Wile E. Coyote' }).count() === 1, 'table rendered');

  await page.click('#edit-link');
  await page.waitForURL('**/edit/Customers/Acme-Corp');
  const text = await page.inputValue('textarea[name=content]');
  ok(text.includes('# Acme Corp'), 'edit form holds the Markdown source');
  await page.fill('textarea[name=content]', text + '\n## Browser note\n\nCalled them from **Chromium**; see [[Customers/Initech]].\n');
  await page.fill('input[name=message]', 'Note from the browser test');
  await page.fill('input[name=author]', 'Brenda Browser');
  await Promise.all([page.waitForURL('**/wiki/Customers/Acme-Corp'), page.click('#save')]);
  ok(true, 'saving returns to the page');
  ok(await page.locator('article h2', { hasText: 'Browser note' }).count() === 1, 'edit is rendered as a heading');
  ok(await page.locator('article strong', { hasText: 'Chromium' }).count() === 1, 'bold text rendered');
  const missing = page.locator('article a.wikilink.missing', { hasText: 'Customers/Initech' });
  ok(await missing.count() === 1, 'link to a missing page is marked');
  if (shots) await page.screenshot({ path: `${shots}/customer.png`, fullPage: true });

  await missing.click();
  await page.waitForURL('**/edit/Customers/Initech');
  ok((await page.locator('h1.page-title').innerText()).includes('New page'), 'missing link leads to the create form');
  await page.click('a.template-link');
  await page.waitForURL('**/edit/Customers/Initech?template=Customer-Profile');
  ok((await page.inputValue('textarea[name=content]')).includes('## Log'), 'a template prefills the new page');
  await page.fill('textarea[name=content]', '# Initech\n\nTPS reports, see [[Customers/Acme Corp]].\n');
  await page.locator('#preview h1', { hasText: 'Initech' }).waitFor({ timeout: 5000 });
  ok(await page.locator('#preview a.wikilink', { hasText: 'Customers/Acme Corp' }).count() === 1, 'live preview renders while typing');
  if (shots) await page.screenshot({ path: `${shots}/edit-preview.png`, fullPage: true });
  await Promise.all([page.waitForURL('**/wiki/Customers/Initech'), page.click('#save')]);
  ok(await page.locator('article h1', { hasText: 'Initech' }).count() === 1, 'new page saved from the form');

  await page.goto(base + '/history/Customers/Acme-Corp');
  ok(await page.locator('table.history td', { hasText: 'Brenda Browser' }).count() >= 1, 'history shows the browser edit author');
  await page.click('table.history button, form button[type=submit]');
  await page.waitForURL('**/diff/Customers/Acme-Corp**');
  ok(await page.locator('table.diff tr.add').count() >= 1, 'comparing versions shows added lines');
  if (shots) await page.screenshot({ path: `${shots}/diff.png`, fullPage: true });

  // Finding and following: the search box on every page, results, facets, the customer
  // 360, backlinks and the page's feed.
  await page.goto(base + '/wiki/Customers/Initech');
  await page.fill('header form.search input[name=q]', 'chromium');
  await Promise.all([page.waitForURL('**/search?q=chromium'), page.press('header form.search input[name=q]', 'Enter')]);
  const first = page.locator('ol.results li.result').first();
  ok(await page.locator('ol.results li.result').count() === 1, 'the search box finds the page edited a moment ago');
  ok(await first.locator('p.snippet mark', { hasText: /chromium/i }).count() >= 1, 'the match is marked in the snippet',
     await first.innerHTML().catch(() => ''));
  ok(await page.locator('.facets a', { hasText: 'Acme Corp' }).count() === 1, 'a customer facet is offered');
  await Promise.all([page.waitForURL('**/wiki/Customers/Acme-Corp'), first.locator('a.result-title').click()]);
  ok(true, 'a result leads to its page');
  await page.fill('header form.search input[name=q]', 'TPS reports');
  await Promise.all([page.waitForURL('**/search?q=TPS+reports'), page.press('header form.search input[name=q]', 'Enter')]);
  ok(await page.locator('ol.results a.result-title', { hasText: 'Initech' }).count() === 1, 'both words: the new page is found');
  if (shots) await page.screenshot({ path: `${shots}/search.png`, fullPage: true });

  await page.click('header nav a[href="/customers"]');
  await page.waitForURL('**/customers');
  await Promise.all([page.waitForURL('**/customer/Acme**'), page.locator('main a', { hasText: 'Acme Corp' }).first().click()]);
  ok(await page.locator('main a[href="/wiki/Customers/Acme-Corp"]').count() >= 1, 'the customer 360 lists the customer page');
  ok(await page.locator('#who-knows li', { hasText: 'Brenda Browser' }).count() === 1, 'who knows: the browser edit author');
  if (shots) await page.screenshot({ path: `${shots}/customer-360.png`, fullPage: true });

  await page.goto(base + '/wiki/Customers/Initech');
  ok(await page.locator('#backlinks a[href="/wiki/Customers/Acme-Corp"]').count() === 1, 'what links here: the page that links to it');
  const feed = await page.locator('link[rel=alternate][title="Changes to this"]').getAttribute('href');
  const xml = await (await page.request.get(base + feed)).text();
  const parsed = await page.evaluate(x => {
    const d = new DOMParser().parseFromString(x, 'application/xml');
    return d.getElementsByTagName('parsererror').length === 0 ? d.documentElement.localName + ' ' + d.getElementsByTagName('entry').length : 'error';
  }, xml);
  ok(/^feed [1-9]/.test(parsed), "the page's Atom feed parses in the browser and has entries", parsed);
} catch (e) {
  ok(false, 'browser walk-through', e.stack || e);
} finally {
  ok(errors.length === 0, 'no console errors or CSP violations', errors.join('\n'));
  await browser.close();
}
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
