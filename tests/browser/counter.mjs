// An officer at the counter, with the keyboard alone: from the work queue to the receive form,
// chooses the procedure, types the declaration for an elderly citizen, attaches the scan of a
// paper, receives the dossier and sees it; prints the receipt slip; accepts it with a button; finds it again with the
// search box; then anyone looks it up by its code. Every page is checked and pictured in both
// languages (the keyboard walk in Vietnamese, the pages again in English).
//
// MOTCUA_BASE: where motcua answers; MOTCUA_USERNAME, MOTCUA_PASSWORD: an officer's account
// without a second factor; MOTCUA_SCAN: the path of a PNG scan to attach.

import {
  BASE,
  env,
  focused,
  isFocused,
  look,
  messages,
  navigating,
  newPage,
  tabTo,
  visit,
  walk,
} from './lib.mjs';

const username = env('MOTCUA_USERNAME');
const password = env('MOTCUA_PASSWORD');
const scan = env('MOTCUA_SCAN');

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

/** Types into the focused field, after checking it is the one meant. */
async function typeInto(page, selector, words) {
  await tabTo(page, selector, 30);
  await page.keyboard.type(words);
}

async function receiveWithTheKeyboard(browser) {
  const t = await messages('vi');
  const page = await newPage(browser, { lang: 'vi' });
  await signIn(page);

  // The queue, then the receive form through the header's link.
  await visit(page, '/dossiers', 'queue');
  await tabTo(page, 'a[href="/dossiers/new"]', 10);
  await navigating(page, () => page.keyboard.press('Enter'));
  await look(page, 'receive-choose');

  // The procedure: the list, the arrow keys until birth registration, the button.
  await tabTo(page, '#procedure', 15);
  for (let i = 0; i < 20; i++) {
    const chosen = await page.inputValue('#procedure');
    if (chosen === 'birth-registration') break;
    await page.keyboard.press('ArrowDown');
  }
  expect((await page.inputValue('#procedure')) === 'birth-registration', 'no birth registration');
  await page.keyboard.press('Tab');
  await navigating(page, () => page.keyboard.press('Enter'));
  await look(page, 'receive');

  // The declaration, typed.
  await typeInto(page, '#applicant_number', '001203004567');
  await typeInto(page, '#applicant_name', 'Phạm Thị Lan');
  await typeInto(page, '#phone', '0912345678');
  await typeInto(page, '#content', 'Đăng ký khai sinh cho cháu');

  // The first paper: its file field opened with the keyboard, the scan chosen.
  await tabTo(page, '#paper-0', 10);
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser'),
    page.keyboard.press('Space'),
  ]);
  await chooser.setFiles(scan);

  // Submit with the keyboard: the dossier's page, saying it was received, the scan shown.
  await tabTo(page, 'form.receive button[type="submit"]', 10);
  const received = await navigating(page, () => page.keyboard.press('Enter'));
  expect(received.status() === 200, `receiving answered ${received.status()}`);
  expect(new URL(page.url()).searchParams.get('received') === '1', `ended on ${page.url()}`);
  expect((await text(page, 'p.notice[role="status"]')) === t('received'), 'no received notice');
  expect(await page.locator('img.preview').isVisible(), 'the scan is not shown');
  await look(page, 'dossier-received');
  const code = (await text(page, 'h1')).split(' ').pop();
  const dossierUrl = new URL(page.url()).pathname;

  // Print the receipt and appointment slip: the button, with the keyboard; a signed PDF.
  const print = 'form.receipt button';
  await tabTo(page, print, 15);
  expect((await text(page, print)) === t('receipt-print'), 'the print button has no words');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.keyboard.press('Enter'),
  ]);
  const slip = await download.path();
  const { readFile } = await import('node:fs/promises');
  const bytes = await readFile(slip);
  expect(bytes.subarray(0, 5).toString() === '%PDF-', 'the slip is not a PDF');
  expect(download.suggestedFilename().endsWith('.pdf'), 'the slip has no .pdf name');
  await page.goto(`${BASE}${dossierUrl}`);

  // Accept it: the button, with the keyboard.
  const accept = 'form.move:has(input[name="to"][value="ACCEPTED"]) button';
  await tabTo(page, accept, 20);
  expect((await text(page, accept)) === t('move-to-ACCEPTED'), 'the accept button has no words');
  await navigating(page, () => page.keyboard.press('Enter'));
  const notice = await text(page, 'p.notice[role="status"]');
  expect(
    notice === t('moved-to', { status: t('status-ACCEPTED') }),
    `after accepting, the page says "${notice}"`,
  );
  await look(page, 'dossier-moved');

  // Find it from the queue's search box by the citizen's name.
  await page.goto(`${BASE}/dossiers`);
  await tabTo(page, '#q', 15);
  await page.keyboard.type('Thị Lan');
  await navigating(page, () => page.keyboard.press('Enter'));
  const rows = page.locator('table.list tbody tr');
  expect((await rows.count()) === 1, `the search found ${await rows.count()} rows`);
  expect((await text(page, 'table.list tbody td.code')) === code, 'the search found another');
  await look(page, 'queue-search');

  // Issue the result: the form, a signed result, its public check page.
  await visit(page, `${dossierUrl}/result`, 'issue');
  await page.fill('#place', 'Hà Nội');
  await page.fill('#rows', 'Họ và tên: Phạm Văn Bé\nNgày sinh: 20/11/2026');
  await navigating(page, () => page.click('button[value="issue"]'));
  const issued = new URL(page.url()).searchParams.get('issued');
  expect(issued && issued.startsWith(code), `issuing ended on ${page.url()}`);
  await look(page, 'dossier-issued');
  await visit(page, `/verify/${issued}`, 'verify-genuine');
  expect((await text(page, 'h2.verdict-big')) === t('verify-genuine'), 'not told genuine');

  // A dossier that does not exist: a plain 404 page.
  await visit(page, '/dossiers/00000000-0000-0000-0000-000000000000', 'dossier-missing', {
    status: 404,
  });
  await page.context().close();
  return { code, dossierUrl, issued };
}

async function pagesInEnglish(browser, { code, dossierUrl, issued }) {
  const t = await messages('en');
  const page = await newPage(browser, { lang: 'en' });
  await signIn(page);
  await visit(page, '/dossiers', 'queue');
  await visit(page, dossierUrl, 'dossier');
  await visit(page, '/dossiers/new?procedure=birth-registration', 'receive');
  await visit(page, `${dossierUrl}/result`, 'issue');
  await visit(page, `/verify/${issued}`, 'verify-genuine');
  expect((await text(page, 'h2.verdict-big')) === t('verify-genuine'), 'not told genuine');
  await visit(page, '/verify/TEST-000000-0000-KQ1', 'verify-not-found', { status: 404 });
  await page.context().close();

  // Anyone, without signing in: the lookup shows the status, and nothing personal.
  for (const lang of ['vi', 'en']) {
    const w = await messages(lang);
    const anyone = await newPage(browser, { lang });
    await visit(anyone, '/lookup', 'lookup');
    await tabTo(anyone, '#code', 15);
    await anyone.keyboard.type(code);
    await navigating(anyone, () => anyone.keyboard.press('Enter'));
    await look(anyone, 'lookup-answer');
    const answer = await text(anyone, 'p.big');
    expect(answer !== '', 'the lookup gives no status');
    const body = await anyone.locator('main').innerText();
    expect(!body.includes('Phạm Thị Lan'), 'the lookup shows the applicant');
    // Received on a day; no due date while it waits for the paper originals (the clock stops).
    expect(body.includes(w('field-received')), 'the lookup shows no day of receipt');
    await anyone.context().close();
  }
  // On a phone, the queue fits the width.
  const phone = await newPage(browser, { lang: 'vi', phone: true });
  await signIn(phone);
  await visit(phone, '/dossiers', 'queue');
  const overflow = await phone.evaluate((w) => document.documentElement.scrollWidth - w, phone.viewportSize().width);
  expect(overflow <= 0, `on a phone the queue is ${overflow}px wider than the screen`);
  await phone.context().close();
  expect(t('nav-queue') !== '', 'English messages load');
}

await walk('counter', async (browser) => {
  const received = await receiveWithTheKeyboard(browser);
  await pagesInEnglish(browser, received);
});
