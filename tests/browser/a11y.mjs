// a11y.mjs URL REV: axe-core (injected from node_modules) on the main page types, light
// and dark, laptop and phone: no serious or critical violation (contrast, labels, names,
// landmarks, ARIA). Less severe findings are listed as TAP comments.
import { createRequire } from 'node:module';
import { ok, note, launch, context, login, done, PHONE, LAPTOP } from './lib.mjs';

const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core/axe.min.js');
const base = process.argv[2], rev = process.argv[3];
// one of each template (old versions, /stale, /wanted, delete and restore share theirs)
const pages = [
  ['home', '/'],
  ['page', '/wiki/Customers/Acme-Corp'],
  ['wide-page', '/wiki/Wide-Page'],
  ['edit', '/edit/Customers/Acme-Corp'],
  ['history', '/history/Customers/Acme-Corp'],
  ['diff', `/diff/Customers/Acme-Corp?to=${rev}`],
  ['search', '/search?q=acme'],
  ['customers', '/customers'],
  ['customer-360', '/customer/Acme%20Corp'],
  ['recent', '/recent'],
  ['pages', '/pages'],
  ['blame', '/blame/Customers/Acme-Corp'],
  ['comforts', '/wiki/Notes/Handbook'],
  ['deleted', '/deleted'],
  ['rename', '/rename/Customers/Acme-Corp'],
  ['error-404', '/no/such/address'],
  ['account', '/account'],
  ['admin-users', '/admin/users'],
];

async function axe(page) {
  await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + (n.failureSummary ? ': ' + n.failureSummary.split('\n').slice(1, 2).join('') : '')) }));
  });
}

function report(name, violations) {
  const bad = violations.filter(v => v.impact === 'serious' || v.impact === 'critical');
  ok(bad.length === 0, `${name}: no serious or critical accessibility violations`,
     bad.map(v => `${v.impact} ${v.id}: ${v.help}\n  ${v.nodes.join('\n  ')}`).join('\n'));
  for (const v of violations.filter(x => !bad.includes(x))) note(`${name}: ${v.impact} ${v.id}: ${v.help} (${v.nodes[0]})`);
}

const browser = await launch();
const contexts = [];
try {
  // bypassCSP: axe is injected as a script tag, which the wiki's CSP would refuse (the
  // layout and editor tests check that the wiki itself runs under it without a violation)
  const ctx = await context(browser, LAPTOP, { bypassCSP: true });
  contexts.push(ctx);
  const page = await ctx.newPage();
  await page.goto(base + '/login');
  report('login', await axe(page));
  await login(page, base, 'ada');
  for (const [name, url] of pages) {
    await page.goto(base + url);
    report(name, await axe(page));
  }
  // The editor with the [[ suggestions open.
  await page.goto(base + '/edit/Customers/Acme-Corp');
  await page.locator('#content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\n[[acme');
  await page.locator('#complete-list li').first().waitFor();
  report('edit with suggestions', await axe(page));

  // Dark mode has its own colours: check their contrast too.
  await page.emulateMedia({ colorScheme: 'dark' });
  for (const [name, url] of [['page', '/wiki/Customers/Acme-Corp'], ['comforts', '/wiki/Notes/Handbook'], ['diff', `/diff/Customers/Acme-Corp?to=${rev}`],
                             ['search', '/search?q=acme'], ['edit', '/edit/Customers/Acme-Corp']]) {
    await page.goto(base + url);
    report(`dark ${name}`, await axe(page));
  }

  // The phone layout: the menu open.
  const phone = await context(browser, PHONE, { bypassCSP: true });
  contexts.push(phone);
  const pp = await phone.newPage();
  await login(pp, base, 'ada');
  await pp.goto(base + '/wiki/Customers/Acme-Corp');
  await pp.click('#menu-toggle');
  report('phone page with the menu open', await axe(pp));
  await pp.goto(base + '/wiki/Notes/Handbook');
  await pp.click('details.toc-inline summary');
  report('phone page with the contents open', await axe(pp));

  const errors = contexts.flatMap(c => c.errors);
  ok(errors.length === 0, 'no console errors or CSP violations', errors.join('\n'));
} catch (e) {
  ok(false, 'accessibility walk-through', e.stack || e);
} finally {
  await browser.close();
}
done();
