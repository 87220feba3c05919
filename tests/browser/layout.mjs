// layout.mjs URL REV: every page type at phone (390 px) and laptop (1280 px) width (and
// the widest page types at 360 px and around the breakpoints): no horizontal scrolling of
// the page (wide tables and code scroll in their own box), tap
// targets of at least 44 px on the phone, the header menu, the page without JavaScript,
// dark mode, print. Screenshots of the viewport go to tests/out/layout/ (and the two the
// README shows: readme-laptop.png, readme-phone.png).
import { ok, note, launch, context, login, overflow, smallTargets, outDir, done, PHONE, LAPTOP } from './lib.mjs';

const base = process.argv[2], rev = process.argv[3];
const out = outDir('layout');
const pages = [
  ['home', '/'],
  ['page', '/wiki/Customers/Acme-Corp'],
  ['wide-page', '/wiki/Wide-Page'],
  ['old-version', `/wiki/Customers/Acme-Corp?rev=${rev}`],
  ['edit', '/edit/Customers/Acme-Corp'],
  ['new-page', '/edit/Notes/Brand-New-Page'],
  ['history', '/history/Customers/Acme-Corp'],
  ['diff', `/diff/Customers/Acme-Corp?to=${rev}`],
  ['search', '/search?q=acme'],
  ['customers', '/customers'],
  ['customer-360', '/customer/Acme%20Corp'],
  ['tags', '/tags'],
  ['tag', '/tag/key-account'],
  ['departments', '/departments'],
  ['department', '/department/sales'],
  ['stale', '/stale'],
  ['recent', '/recent'],
  ['pages', '/pages'],
  ['wanted', '/wanted'],
  ['orphans', '/orphans'],
  ['blame', '/blame/Wide-Page'],
  ['rename', '/rename/Customers/Acme-Corp'],
  ['delete', '/delete/Customers/Acme-Corp'],
  ['restore', '/restore/Old-Plan'],
  ['deleted', '/deleted'],
  ['comforts', '/wiki/Notes/Handbook'],
  ['missing-page', '/wiki/No-Such-Page'],
  ['error-404', '/no/such/address'],
  ['account', '/account'],
  ['admin-users', '/admin/users'],
];
// What must be easy to hit with a finger on a phone.
const TAPS = 'header.top .brand, #menu-toggle, header.top input[type=search], main .actions a, main button:not([hidden]), ' +
  'main a.button, main .paging a, main input[type=text], main input[type=password], main input[type=search], main select';

const browser = await launch();
const contexts = [];
let session; // ada's cookies, once logged in: later contexts start with them
try {
  for (const [label, viewport] of [['phone', PHONE], ['laptop', LAPTOP]]) {
    const ctx = await context(browser, viewport);
    contexts.push(ctx);
    const page = await ctx.newPage();

    // Logged out: the login page.
    await page.goto(base + '/login');
    let o = await overflow(page);
    ok(o.ok, `${label}: login fits the width`, JSON.stringify(o));
    await page.screenshot({ path: `${out}/${label}-login.png` });

    await login(page, base, 'ada');
    session = await ctx.storageState();
    for (const [name, url] of pages) {
      await page.goto(base + url);
      o = await overflow(page);
      ok(o.ok, `${label}: ${name} fits the width (${o.scrollWidth} <= ${o.width})`, o.culprits);
      if (label === 'phone') {
        const small = await smallTargets(page, TAPS);
        ok(small.length === 0, `${label}: ${name}: tap targets are 44 px high`, small.join('\n'));
      }
      await page.screenshot({ path: `${out}/${label}-${name}.jpg`, type: 'jpeg', quality: 80 });
    }

    // The wide things scroll inside their own boxes, and can be scrolled there.
    await page.goto(base + '/wiki/Wide-Page');
    // (a Markdown table scrolls in the renderer's <div class="table">, the table stays a table)
    const boxes = await page.evaluate(() => [...document.querySelectorAll('article div.table, article pre')].map(e => {
      const cs = getComputedStyle(e);
      return { tag: e.tagName, scrolls: e.scrollWidth > e.clientWidth && /auto|scroll/.test(cs.overflowX) };
    }));
    ok(boxes.length === 2 && boxes.every(b => b.scrolls), `${label}: the wide table and the long code line scroll in their own box`,
       JSON.stringify(boxes));

    await page.goto(base + '/wiki/Customers/Acme-Corp');
    await page.screenshot({ path: `${out}/readme-${label}.png` });
    if (label === 'laptop') {
      ok(await page.locator('header.top nav.main').isVisible(), 'laptop: the navigation is shown');
      ok(!(await page.locator('#menu-toggle').isVisible()), 'laptop: no menu button');
      const h = await page.locator('header.top').evaluate(e => e.getBoundingClientRect().height);
      ok(h < 70, `laptop: the header is one row (${Math.round(h)} px)`);
    } else {
      // The menu: folded, opens, links work, Escape folds it again.
      const nav = page.locator('header.top nav.main'), button = page.locator('#menu-toggle');
      ok(!(await nav.isVisible()), 'phone: the navigation is folded away');
      ok(await button.isVisible(), 'phone: a menu button is shown');
      await button.click();
      ok(await nav.isVisible() && await page.locator('header.top nav.user').isVisible(), 'phone: the menu button opens the menu');
      ok(await button.getAttribute('aria-expanded') === 'true', 'phone: the button says it is expanded');
      const small = await smallTargets(page, 'header.top nav a, header.top nav button');
      ok(small.length === 0, 'phone: menu entries are 44 px high', small.join('\n'));
      o = await overflow(page);
      ok(o.ok, 'phone: the open menu fits the width', o.culprits);
      await page.screenshot({ path: `${out}/phone-menu-open.png` });
      await page.keyboard.press('Escape');
      ok(!(await nav.isVisible()) && await button.getAttribute('aria-expanded') === 'false', 'phone: Escape folds the menu');
      await button.click();
      await Promise.all([page.waitForURL('**/customers'), nav.locator('a', { hasText: 'Customers' }).click()]);
      ok(true, 'phone: a menu entry leads to its page');
    }

    // Dark mode follows the system.
    await page.goto(base + '/wiki/Customers/Acme-Corp');
    const lum = () => page.evaluate(() => {
      const m = getComputedStyle(document.body).backgroundColor.match(/\d+(\.\d+)?/g).map(Number);
      return (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255;
    });
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await lum();
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await lum();
    ok(light > 0.9 && dark < 0.15, `${label}: dark mode darkens the background (${light.toFixed(2)} -> ${dark.toFixed(2)})`);
    await page.screenshot({ path: `${out}/${label}-dark.png` });
    await page.goto(base + '/wiki/Wide-Page');
    o = await overflow(page);
    ok(o.ok, `${label}: dark: the wide page fits the width`, o.culprits);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.close();
  }

  // Between and around the two: the narrowest phones, the breakpoints, a small laptop.
  {
    const ctx = await context(browser, { width: 360, height: 740 }, { storageState: session });
    contexts.push(ctx);
    const page = await ctx.newPage();
    const some = ['/wiki/Wide-Page', '/edit/Customers/Acme-Corp', '/history/Customers/Acme-Corp', '/recent', '/search?q=acme',
                  '/admin/users', '/blame/Wide-Page', '/customer/Acme%20Corp'];
    for (const width of [360, 769, 1153]) { // the narrowest phones, just above each breakpoint
      await page.setViewportSize({ width, height: 740 });
      const bad = [];
      for (const url of some) {
        await page.goto(base + url);
        const o = await overflow(page);
        if (!o.ok) bad.push(`${url}: ${o.scrollWidth} > ${o.width}: ${o.culprits}`);
      }
      ok(bad.length === 0, `${width} px: ${some.length} page types fit the width`, bad.join('\n'));
    }
  }

  // Without JavaScript the phone's menu is simply open, and everything still fits.
  const nojs = await context(browser, PHONE, { javaScriptEnabled: false });
  contexts.push(nojs);
  const p2 = await nojs.newPage();
  await p2.goto(base + '/wiki/Customers/Acme-Corp');
  ok(await p2.locator('header.top nav.main').isVisible() && !(await p2.locator('#menu-toggle').isVisible()),
     'phone without JavaScript: the navigation is shown, no menu button');
  const o2 = await overflow(p2);
  ok(o2.ok, 'phone without JavaScript: the page fits the width', o2.culprits);
  const small2 = await smallTargets(p2, 'header.top nav a');
  ok(small2.length === 0, 'phone without JavaScript: navigation links are 44 px high', small2.join('\n'));
  await p2.screenshot({ path: `${out}/phone-nojs.png` });

  // Print: the content only, and where links lead.
  const pctx = await context(browser, LAPTOP, { storageState: session });
  contexts.push(pctx);
  const pp = await pctx.newPage();
  await pp.goto(base + '/wiki/Wide-Page');
  await pp.emulateMedia({ media: 'print' });
  const shown = async sel => pp.locator(sel).first().isVisible();
  ok(!(await shown('header.top')) && !(await shown('header.top nav.main')), 'print: no header or navigation');
  ok(!(await shown('aside.sidebar')), 'print: no sidebar');
  ok(!(await shown('#edit-link')) && !(await shown('.actions')), 'print: no edit links');
  ok(!(await shown('#upload-form')), 'print: no upload form');
  ok(!(await shown('footer.bottom')), 'print: no footer');
  ok(await shown('article.markdown table'), 'print: the content is there');
  const after = await pp.evaluate(() => [...document.querySelectorAll('article a[href^="http"]')].map(a =>
    ({ text: a.textContent, after: getComputedStyle(a, '::after').content })));
  const named = after.find(a => a.text === 'the CRM'), bare = after.find(a => a.text.startsWith('https://'));
  ok(named && named.after.includes('https://crm.example.com/acme'), 'print: a link shows its address after its text', JSON.stringify(after));
  ok(bare && (bare.after === 'none' || bare.after === 'normal'), 'print: a bare address is not repeated', JSON.stringify(after));
  await pp.pdf({ path: `${out}/print-wide-page.pdf`, format: 'A4' });
  await pp.emulateMedia({ media: 'screen' });
  ok(await shown('header.top'), 'screen again: the header is back');

  const errors = contexts.flatMap(c => c.errors);
  ok(errors.length === 0, 'no console errors or CSP violations', errors.join('\n'));
  note(`screenshots in ${out}`);
} catch (e) {
  ok(false, 'layout walk-through', e.stack || e);
} finally {
  await browser.close();
}
done();
