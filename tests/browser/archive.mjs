// An archivist, with the keyboard: searches the archive by the applicant's name, sorts the
// results, opens the record, sees its proofs checked now, places a legal hold with a reason and
// lifts it, asks for the record's disposal citing the decision, downloads the record's bag, and
// reads the fixity audits' findings. Every page is checked and pictured in both languages (the
// walk in Vietnamese, the pages again in English).
//
// MOTCUA_BASE: where motcua answers; MOTCUA_USERNAME, MOTCUA_PASSWORD: an archivist's account
// without a second factor; MOTCUA_NAME: the name of an applicant whose record is disposable.

import { BASE, env, look, messages, navigating, newPage, tabTo, visit, walk } from './lib.mjs';

const username = env('MOTCUA_USERNAME');
const password = env('MOTCUA_PASSWORD');
const applicant = env('MOTCUA_NAME');

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

/** Types a reason into a form's field and submits the form with its button, by keyboard. */
async function submitWithReason(page, field, words, button) {
  await tabTo(page, field, 40);
  await page.keyboard.type(words);
  await tabTo(page, button, 5);
  return navigating(page, () => page.keyboard.press('Enter'));
}

async function archivistsWalk(browser) {
  const t = await messages('vi');
  const page = await newPage(browser, { lang: 'vi' });
  await signIn(page);

  // From the header to the archive's search.
  await tabTo(page, 'a[href="/archive"]', 10);
  await navigating(page, () => page.keyboard.press('Enter'));
  await look(page, 'archive');

  // Search by the applicant's name.
  await tabTo(page, '#name', 20);
  await page.keyboard.type(applicant);
  await navigating(page, () => page.keyboard.press('Enter'));
  const rows = page.locator('table.list tbody tr');
  expect((await rows.count()) === 1, `the search found ${await rows.count()} rows`);
  await look(page, 'archive-search');
  const kept = await page.inputValue('#keep-link');
  expect(kept.startsWith('/archive?') && kept.includes('name='), `the kept link is ${kept}`);

  // Sort by retention: the column heading says so.
  await tabTo(page, 'th a[href*="sort=retention"]', 30);
  await navigating(page, () => page.keyboard.press('Enter'));
  const sorted = await page.getAttribute('th[aria-sort]', 'aria-sort');
  expect(sorted === 'ascending', `sorted ${sorted}`);

  // The record.
  await tabTo(page, 'td.code a', 30);
  await navigating(page, () => page.keyboard.press('Enter'));
  expect(new URL(page.url()).pathname.startsWith('/archive/'), `opened ${page.url()}`);
  const verdicts = await page.locator('span.proof').allInnerTexts();
  expect(verdicts.length > 0, 'no proof verdicts');
  expect(
    verdicts.every((v) => v.trim() === t('proof-verified')),
    `proof verdicts: ${verdicts.join(', ')}`,
  );
  await look(page, 'archive-record');
  const record = new URL(page.url()).pathname;

  // A legal hold, with its reason; then lifted, with another.
  await submitWithReason(page, '#hold-reason', 'Tranh chấp đang giải quyết', 'form.hold-place button');
  expect((await text(page, 'p.notice[role="status"]')) === t('archive-done-hold-placed'), 'not held');
  expect((await page.locator('main').innerText()).includes('Tranh chấp đang giải quyết'), 'no reason');
  await look(page, 'archive-held');
  await submitWithReason(page, '#lift-reason', 'Đã giải quyết xong', 'form.hold-lift button');
  expect((await text(page, 'p.notice[role="status"]')) === t('archive-done-hold-lifted'), 'not lifted');

  // The disposal, citing the decision.
  await tabTo(page, '#decision', 40);
  await page.keyboard.type('Quyết định số 12/QĐ-UBND ngày 02/01/2026');
  await submitWithReason(page, '#disposal-reason', 'Hết thời hạn bảo quản', 'form.disposal-request button');
  expect(
    (await text(page, 'p.notice[role="status"]')) === t('archive-done-disposal-requested'),
    'no disposal requested',
  );
  await look(page, 'archive-disposal-requested');

  // The record's bag, downloaded with the keyboard.
  await tabTo(page, 'a.bag', 40);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.keyboard.press('Enter'),
  ]);
  expect(download.suggestedFilename().endsWith('.tar'), `the bag is ${download.suggestedFilename()}`);
  expect((await download.failure()) === null, 'the bag did not download');

  // The fixity audits.
  await page.goto(`${BASE}${record}`);
  await tabTo(page, 'a[href="/archive/fixity"]', 60);
  await navigating(page, () => page.keyboard.press('Enter'));
  await look(page, 'archive-fixity');
  await page.context().close();
  return record;
}

async function pagesInEnglish(browser, record) {
  const page = await newPage(browser, { lang: 'en' });
  await signIn(page);
  await visit(page, '/archive', 'archive');
  await visit(page, `/archive?sort=-date&name=${encodeURIComponent(applicant)}`, 'archive-search');
  await visit(page, record, 'archive-record');
  await visit(page, '/archive/fixity', 'archive-fixity');
  await page.context().close();
  // On a phone, the search fits the width.
  const phone = await newPage(browser, { lang: 'vi', phone: true });
  await signIn(phone);
  await visit(phone, '/archive', 'archive');
  const overflow = await phone.evaluate(
    (w) => document.documentElement.scrollWidth - w,
    phone.viewportSize().width,
  );
  expect(overflow <= 0, `on a phone the archive is ${overflow}px wider than the screen`);
  await phone.context().close();
}

await walk('archive', async (browser) => {
  const record = await archivistsWalk(browser);
  await pagesInEnglish(browser, record);
});
