// lib.mjs: shared by the browser tests: TAP output, one headless Chromium, logging in,
// overflow and tap-target measurements, screenshots under tests/out/NAME/.
import { chromium } from 'playwright-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
export const PASSWORD = 'correct-horse-battery';
export const PHONE = { width: 390, height: 844 };
export const LAPTOP = { width: 1280, height: 800 };

let n = 0, failed = 0;
export function ok(cond, desc, extra) {
  n++;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${desc}`);
  if (!cond) {
    failed++;
    if (extra !== undefined) console.log(`#   ${String(extra).split('\n').join('\n#   ')}`);
  }
  return cond;
}
export function note(s) { console.log(`# ${s}`); }

export function outDir(name) {
  const dir = path.join(here, '..', 'out', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A new context of the given size; console errors and CSP violations are collected in
// ctx.errors (every test ends by checking that there were none).
export async function context(browser, viewport, opts = {}) {
  const ctx = await browser.newContext({ viewport, deviceScaleFactor: 1, ...opts });
  ctx.setDefaultTimeout(10000); // a broken page fails in seconds, not after 30 s
  ctx.errors = [];
  ctx.on('page', p => {
    p.on('console', m => {
      // a 404 or 409 page is an error status of the document itself, not a failure
      if (m.type() !== 'error' || (m.text().startsWith('Failed to load resource') && m.location().url === p.url())) return;
      ctx.errors.push(`${p.url()}: ${m.text()}${m.location().url ? ` [${m.location().url}]` : ''}`);
    });
    p.on('pageerror', e => ctx.errors.push(`${p.url()}: ${e}`));
  });
  return ctx;
}

export async function login(page, base, user, password = PASSWORD) {
  await page.goto(base + '/login');
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(u => !u.pathname.startsWith('/login')), page.click('#login')]);
}

// How far the page is wider than the window, and the widest offenders (for the report).
export async function overflow(page) {
  return page.evaluate(() => {
    const w = window.innerWidth, sw = document.documentElement.scrollWidth, culprits = [];
    // inside a box that scrolls or clips, an element does not widen the page
    const clipped = e => {
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) if (getComputedStyle(a).overflowX !== 'visible') return true;
      return false;
    };
    if (sw > w) {
      for (const e of document.querySelectorAll('body *')) {
        const r = e.getBoundingClientRect();
        if (r.width > 0 && r.right > w + 1 && !clipped(e)) {
          culprits.push(`${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : ''} right=${Math.round(r.right)}`);
        }
      }
    }
    return { ok: sw <= w, scrollWidth: sw, width: w, culprits: culprits.slice(0, 6).join('; ') };
  });
}

// Visible elements matching `selector` that are less than `min` px high.
export async function smallTargets(page, selector, min = 44) {
  return page.evaluate(([sel, m]) => {
    const out = [];
    for (const e of document.querySelectorAll(sel)) {
      const r = e.getBoundingClientRect(), cs = getComputedStyle(e);
      if (r.width === 0 || r.height === 0 || cs.visibility === 'hidden') continue;
      if (r.height < m - 0.5) out.push(`${e.tagName.toLowerCase()} "${e.textContent.trim().slice(0, 30)}" ${Math.round(r.height)}px`);
    }
    return out;
  }, [selector, min]);
}

// End the test. With TAP_STATE set (by the shell script, which adds the server's own
// checks and the plan), write "COUNT FAILED" there instead of a plan.
export function done() {
  if (process.env.TAP_STATE) writeFileSync(process.env.TAP_STATE, `${n} ${failed}\n`);
  else console.log(`1..${n}`);
  process.exit(failed ? 1 : 0);
}
