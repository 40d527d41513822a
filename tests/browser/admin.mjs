// An administrator's screens in a real browser: the start of administration, the processing
// report with its two SVG charts (each an image with a title) and its tables, an account
// created from the form with the keyboard and then disabled, a unit added, the token page, the
// catalogue uploaded, its differences shown and published. Every page is checked and pictured
// in Vietnamese, then again in English.
//
// MOTCUA_BASE: where motcua answers; MOTCUA_USERNAME, MOTCUA_PASSWORD: an administrator's
// account without a second factor; MOTCUA_CATALOGUE: the path of a changed catalogue file.

import { BASE, env, look, messages, navigating, newPage, tabTo, visit, walk } from './lib.mjs';

const username = env('MOTCUA_USERNAME');
const password = env('MOTCUA_PASSWORD');
const catalogue = env('MOTCUA_CATALOGUE');

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

async function text(page, selector) {
  return (await page.locator(selector).first().innerText()).trim();
}

async function signIn(page) {
  await page.goto(`${BASE}/sign-in`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await navigating(page, () => page.keyboard.press('Enter'));
  expect(new URL(page.url()).pathname === '/', `signing in ended on ${page.url()}`);
}

async function charts(page, t) {
  const svgs = page.locator('svg[role="img"]');
  expect((await svgs.count()) === 2, `${await svgs.count()} charts, not two`);
  const titles = await page.$$eval('svg[role="img"] > title', (all) =>
    all.map((e) => e.textContent.trim()),
  );
  expect(titles.includes(t('report-ontime-chart')), `the line chart's title: ${titles}`);
  expect(titles.includes(t('report-overdue-chart')), `the bar chart's title: ${titles}`);
  expect((await page.locator('table.figures').count()) >= 3, 'the tables carry the figures');
}

async function inVietnamese(browser) {
  const t = await messages('vi');
  const page = await newPage(browser, { lang: 'vi' });
  await signIn(page);

  // From the header's link to administration, then the report.
  await tabTo(page, 'a[href="/admin"]', 10);
  await navigating(page, () => page.keyboard.press('Enter'));
  await look(page, 'admin');
  await visit(page, '/admin/reports', 'admin-reports');
  await charts(page, t);

  // An account, typed with the keyboard.
  await visit(page, '/admin/accounts', 'admin-accounts');
  await tabTo(page, '#username', 40);
  await page.keyboard.type('nguyen.lan');
  await tabTo(page, '#name', 3);
  await page.keyboard.type('Nguyễn Thị Lan');
  await page.selectOption('#role', 'officer');
  await page.selectOption('#unit', 'TEST');
  await tabTo(page, '#password', 10);
  await page.keyboard.type('ngựa-phi-đường-xa-2027');
  await tabTo(page, 'form[action="/admin/accounts"] button[type="submit"]', 5);
  await navigating(page, () => page.keyboard.press('Enter'));
  expect(new URL(page.url()).pathname === '/admin/accounts/nguyen.lan', `ended on ${page.url()}`);
  expect((await text(page, 'p.notice[role="status"]')) === t('admin-account-created'), 'no notice');
  await look(page, 'admin-account');
  // Disabled with its button.
  await tabTo(page, 'form[action$="/disable"] button', 30);
  await navigating(page, () => page.keyboard.press('Enter'));
  expect((await text(page, 'p.notice[role="status"]')) === t('admin-account-disabled'), 'not disabled');
  await look(page, 'admin-account-disabled');

  // A unit below the province.
  await visit(page, '/admin/units', 'admin-units');
  await page.selectOption('#parent', 'TEST');
  await page.fill('#code', 'TEST.Q1');
  await page.fill('#name', 'Quận 1');
  await navigating(page, () => page.click('form[action="/admin/units"] button'));
  expect(
    (await text(page, 'p.notice[role="status"]')) === t('admin-unit-added', { code: 'TEST.Q1' }),
    'the unit was not added',
  );
  await look(page, 'admin-units-added');

  await visit(page, '/admin/tokens', 'admin-tokens');

  // The catalogue: the file chosen, its differences, published.
  await visit(page, '/admin/procedures', 'admin-procedures');
  await page.setInputFiles('#catalogue', catalogue);
  await navigating(page, () => page.click('form[action="/admin/procedures/preview"] button'));
  expect((await text(page, 'h1')) === t('admin-catalogue-diff-title'), 'no differences page');
  expect((await page.locator('table.diff ins').count()) >= 1, 'no change shown');
  await look(page, 'admin-procedures-preview');
  await tabTo(page, 'form[action="/admin/procedures/publish"] button', 30);
  await navigating(page, () => page.keyboard.press('Enter'));
  expect(
    (await text(page, 'p.notice[role="status"]')) === t('admin-catalogue-published'),
    'not published',
  );
  await page.context().close();
}

async function inEnglish(browser) {
  const t = await messages('en');
  const page = await newPage(browser, { lang: 'en' });
  await signIn(page);
  await visit(page, '/admin', 'admin');
  await visit(page, '/admin/reports', 'admin-reports');
  await charts(page, t);
  await visit(page, '/admin/accounts', 'admin-accounts');
  await visit(page, '/admin/accounts/nguyen.lan', 'admin-account');
  await visit(page, '/admin/units', 'admin-units');
  await visit(page, '/admin/tokens', 'admin-tokens');
  await visit(page, '/admin/procedures', 'admin-procedures');
  await page.context().close();
  // On a phone, the report fits the width.
  const phone = await newPage(browser, { lang: 'vi', phone: true });
  await signIn(phone);
  await visit(phone, '/admin/reports', 'admin-reports');
  const overflow = await phone.evaluate(
    (w) => document.documentElement.scrollWidth - w,
    phone.viewportSize().width,
  );
  expect(overflow <= 0, `on a phone the report is ${overflow}px wider than the screen`);
  await phone.context().close();
}

await walk('admin', async (browser) => {
  await inVietnamese(browser);
  await inEnglish(browser);
});
