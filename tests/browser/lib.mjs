// What every walk through motcua's pages needs: Debian's Chromium driven by playwright-core, a
// page in a chosen language, and the checks each page must pass (nothing fetched from another
// host; axe-core's WCAG 2.0/2.1 A and AA rules; one <h1>, a <main>, <html lang>), plus a
// full-page screenshot of it. The walks (sign_in.mjs, ...) read like a person's steps and fail
// with a plain message; tests/api/browser.rs runs them against a fresh motcua.

import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

/** A setting from the environment, or a failure naming it. */
export function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (see tests/browser/README.md)`);
  return value;
}

/** Where motcua answers, e.g. http://127.0.0.1:8080 (no trailing slash). */
export const BASE = env('MOTCUA_BASE').replace(/\/+$/, '');
const baseOrigin = new URL(BASE).origin;

/** The page words of a language, from motcua's own message files (`key = value` lines). */
export async function messages(lang) {
  const text = await readFile(path.join(repo, 'assets/i18n', `${lang}.ftl`), 'utf8');
  const words = new Map();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*)$/.exec(line);
    if (m) words.set(m[1], m[2]);
  }
  return (key, args = {}) => {
    if (!words.has(key)) throw new Error(`no message ${key} in assets/i18n/${lang}.ftl`);
    return words.get(key).replace(/\{\s*\$(\w+)\s*\}/g, (_, name) => args[name]);
  };
}

/** Debian's Chromium (or MOTCUA_CHROMIUM), headless, kept off every network but ours. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.MOTCUA_CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

// Per page: whether it is the phone-sized one, and every request that left our host.
const pages = new WeakMap();

/**
 * A fresh page (its own cookies) in `lang` (the `motcua-lang` cookie), 1024×768 or, with
 * `phone`, 390×844. The CSP is bypassed only so that axe can be injected.
 */
export async function newPage(browser, { lang, phone = false }) {
  const context = await browser.newContext({
    bypassCSP: true,
    viewport: phone ? { width: 390, height: 844 } : { width: 1024, height: 768 },
    isMobile: phone,
    hasTouch: phone,
  });
  await context.addCookies([{ name: 'motcua-lang', value: lang, url: BASE }]);
  const page = await context.newPage();
  const elsewhere = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol) && url.origin !== baseOrigin) {
      elsewhere.push(request.url());
    }
  });
  pages.set(page, { phone, elsewhere });
  return page;
}

/** The language this page's person chose: their `motcua-lang` cookie (vi without one). */
export async function chosenLang(page) {
  const cookies = await page.context().cookies(BASE);
  return cookies.find((c) => c.name === 'motcua-lang')?.value ?? 'vi';
}

/** Fails if the page asked any host but motcua's for anything, ever. */
export function assertStayedHome(page) {
  const { elsewhere } = pages.get(page);
  if (elsewhere.length) {
    throw new Error(`requests left ${baseOrigin}:\n  ${elsewhere.join('\n  ')}`);
  }
}

/**
 * The structure every page has: exactly one <h1>, one <main> landmark, and <html lang> in the
 * chosen language. Returns the problems found, by name.
 */
async function structureProblems(page) {
  const lang = await chosenLang(page);
  const found = await page.evaluate(() => ({
    h1: document.querySelectorAll('h1').length,
    main: document.querySelectorAll('main, [role="main"]').length,
    lang: document.documentElement.getAttribute('lang'),
  }));
  const problems = {};
  if (found.h1 !== 1) problems['one-h1'] = `${found.h1} <h1> elements, not exactly one`;
  if (found.main !== 1) problems.main = `${found.main} <main> landmarks, not exactly one`;
  if (found.lang !== lang) problems.lang = `<html lang="${found.lang}">, but ${lang} was chosen`;
  return problems;
}

/**
 * axe-core on the page as it is now, with the WCAG 2.0 and 2.1 A and AA rules, and the page
 * structure above. Throws listing every serious or critical violation (rule, help, where);
 * lesser ones are printed. `knownDefects` names structure problems (one-h1, main, lang) a page
 * is known to have: each must still be there, so the entry goes once the page is mended.
 */
export async function checkA11y(page, name, { knownDefects = [] } = {}) {
  await page.addScriptTag({ path: path.join(here, 'node_modules/axe-core/axe.min.js') });
  const results = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    }),
  );
  const where = `${name} (${page.url()})`;
  const failures = [];
  for (const v of results.violations) {
    const targets = v.nodes.map((n) => n.target.join(' ')).join(', ');
    const line = `${v.id} [${v.impact}]: ${v.help}\n      at ${targets}`;
    if (v.impact === 'serious' || v.impact === 'critical') failures.push(line);
    else console.log(`note: ${where}: ${line}`);
  }
  const problems = await structureProblems(page);
  for (const [key, problem] of Object.entries(problems)) {
    if (!knownDefects.includes(key)) failures.push(`structure: ${problem}`);
  }
  for (const key of knownDefects) {
    if (!(key in problems)) {
      failures.push(`structure: the known defect "${key}" is gone: take it out of knownDefects`);
    }
  }
  if (failures.length) {
    throw new Error(`accessibility of ${where}:\n  ${failures.join('\n  ')}`);
  }
}

/** A full-page PNG: $MOTCUA_SCREENSHOTS (default target/screenshots)/<name>-<lang>[-phone].png. */
export async function shot(page, name) {
  const dir = process.env.MOTCUA_SCREENSHOTS || path.join(repo, 'target/screenshots');
  await mkdir(dir, { recursive: true });
  const phone = pages.get(page).phone ? '-phone' : '';
  const file = path.join(dir, `${name}-${await chosenLang(page)}${phone}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Everything a page must be, as it stands now: nothing from elsewhere, accessible, pictured. */
export async function look(page, name, options = {}) {
  assertStayedHome(page);
  await checkA11y(page, name, options);
  await shot(page, name);
}

/**
 * Goes to `path` and looks at the page (`look`); fails unless it answers `status` (200 by
 * default). Returns the response.
 */
export async function visit(page, path, name, { status = 200, ...options } = {}) {
  // What the page's load brings (the issue's budget: 150 KB, fonts aside), counted as if
  // nothing were cached: every response but the fonts.
  const bodies = [];
  const count = (r) => {
    if (!new URL(r.url()).pathname.startsWith('/assets/fonts/')) {
      bodies.push(r.body().then((b) => b.length).catch(() => 0));
    }
  };
  page.on('response', count);
  const response = await page.goto(BASE + path);
  await page.waitForLoadState('load');
  page.off('response', count);
  if (response.status() !== status) {
    throw new Error(`${path} answered ${response.status()}, not ${status}`);
  }
  const bytes = (await Promise.all(bodies)).reduce((a, b) => a + b, 0);
  if (bytes > 150 * 1024) {
    throw new Error(`${path} brings ${bytes} bytes on its first load, over 150 KB`);
  }
  await look(page, name, options);
  return response;
}

/**
 * Does `act` (a key press that submits a form, say) and waits for the page it leads to, past
 * any redirects. Returns that page's response.
 */
export async function navigating(page, act) {
  const response = page.waitForResponse(
    (r) =>
      r.request().isNavigationRequest() &&
      r.request().frame() === page.mainFrame() &&
      !(r.status() >= 300 && r.status() < 400),
  );
  const committed = page.waitForEvent('framenavigated', (f) => f === page.mainFrame());
  await act();
  const [answer] = await Promise.all([response, committed]);
  await page.waitForLoadState('load');
  return answer;
}

/** What has the keyboard focus: its tag, id, name and text, for messages. */
export function focused(page) {
  return page.evaluate(() => {
    const e = document.activeElement;
    if (!e) return 'nothing';
    const id = e.id ? `#${e.id}` : '';
    const text = (e.textContent || '').trim().slice(0, 40);
    return `<${e.tagName.toLowerCase()}${id}>${text ? ` "${text}"` : ''}`;
  });
}

/** Whether the focused element matches `selector`. */
export function isFocused(page, selector) {
  return page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector);
}

/** One Tab press, which must land on `selector`. */
export async function tab(page, selector) {
  await page.keyboard.press('Tab');
  if (!(await isFocused(page, selector))) {
    throw new Error(`Tab went to ${await focused(page)}, not ${selector}`);
  }
}

/** Tab presses, as a person makes them, until `selector` has the focus (at most `limit`). */
export async function tabTo(page, selector, limit = 15) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await isFocused(page, selector)) return;
  }
  const on = await focused(page);
  throw new Error(`${limit} Tab presses never reached ${selector} (ended on ${on})`);
}

/** Runs a walk: prints what failed and exits non-zero, or says it passed. */
export async function walk(name, steps) {
  const started = Date.now();
  let browser;
  try {
    browser = await launch();
    await steps(browser);
    console.log(`${name}: passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    console.error(`${name} FAILED\n${e.stack}`);
    // The pages as they were when it failed, to look at.
    for (const page of browser?.contexts().flatMap((c) => c.pages()) ?? []) {
      const file = await shot(page, `FAILED-${name}`).catch(() => null);
      if (file) console.error(`  ${page.url()} as it was: ${file}`);
    }
    process.exitCode = 1;
  } finally {
    await browser?.close();
  }
}
