// A citizen files online, in both languages: chooses the procedure, declares, checks what
// will be filed (and goes back once to correct it), attaches the scan of a paper, files with
// the progress bar moving (the page's one script, optional), and sees at once on the
// dossier's page that the originals must be brought, and why; then their list of dossiers.
//
// MOTCUA_BASE: where motcua answers; MOTCUA_USERNAME, MOTCUA_PASSWORD: a citizen's account;
// MOTCUA_SCAN: the path of a scan to attach.

import { BASE, env, look, messages, navigating, newPage, visit, walk } from './lib.mjs';

const username = env('MOTCUA_USERNAME');
const password = env('MOTCUA_PASSWORD');
const scan = env('MOTCUA_SCAN');

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

async function text(page, selector) {
  return (await page.locator(selector).first().innerText()).trim();
}

async function fileOnline(browser, lang) {
  const t = await messages(lang);
  const page = await newPage(browser, { lang });
  // Every value the progress bar takes, reported from the page (across its navigations).
  const progress = [];
  await page.exposeFunction('motcuaProgress', (v) => progress.push(Number(v)));
  await page.addInitScript(() => {
    document.addEventListener('DOMContentLoaded', () => {
      const bar = document.getElementById('upload-progress');
      if (!bar) return;
      new MutationObserver(() => window.motcuaProgress(bar.value)).observe(bar, {
        attributes: true,
      });
      const set = Object.getOwnPropertyDescriptor(HTMLProgressElement.prototype, 'value').set;
      Object.defineProperty(bar, 'value', {
        set(v) {
          set.call(this, v);
          window.motcuaProgress(v);
        },
        get() {
          return this.getAttribute('value');
        },
      });
    });
  });

  await page.goto(`${BASE}/sign-in`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await navigating(page, () => page.keyboard.press('Enter'));

  await visit(page, '/dossiers/new', 'file-choose');
  await page.selectOption('#procedure', 'birth-registration');
  await navigating(page, () => page.click('form.filters button'));
  await look(page, 'file-declare');
  await page.fill('#phone', '0912345678');
  await page.fill('#content', 'Đăng ký khai sinh cho con');
  await navigating(page, () => page.click('form.receive button[type="submit"]'));
  expect((await text(page, 'h1')) === t('file-check-title'), 'no check step');
  await look(page, 'file-check');

  // Back once to correct the content: what was typed is kept.
  await navigating(page, () => page.click('form[action="/dossiers/new/edit"] button'));
  expect(
    (await page.inputValue('#content')) === 'Đăng ký khai sinh cho con',
    'the declaration was not kept when going back',
  );
  await page.fill('#content', 'Đăng ký khai sinh cho con gái');
  await navigating(page, () => page.click('form.receive button[type="submit"]'));
  expect(
    (await page.locator('main').innerText()).includes('Đăng ký khai sinh cho con gái'),
    'the corrected content is not what will be filed',
  );

  await page.setInputFiles('#paper-0', scan);
  await navigating(page, () => page.click('form.receive button[type="submit"]'));
  expect(progress.length > 0 && progress.includes(100), `the progress bar went ${progress}`);
  expect(new URL(page.url()).searchParams.get('received') === '1', `filed to ${page.url()}`);
  const main = await page.locator('main').innerText();
  expect(main.includes(t('originals-why-unsigned')), 'the page does not say why originals');
  await look(page, 'file-filed');

  await visit(page, '/dossiers', 'my-dossiers');
  expect((await text(page, 'h1')) === t('my-dossiers-title'), 'not their list');
  await page.context().close();
}

/** On a phone: the filing form and the list fit the width. */
async function onAPhone(browser) {
  const page = await newPage(browser, { lang: 'vi', phone: true });
  await page.goto(`${BASE}/sign-in`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await navigating(page, () => page.keyboard.press('Enter'));
  for (const [path, name] of [
    ['/dossiers/new?procedure=birth-registration', 'file-declare'],
    ['/dossiers', 'my-dossiers'],
  ]) {
    await visit(page, path, name);
    const overflow = await page.evaluate((w) => document.documentElement.scrollWidth - w, page.viewportSize().width);
    expect(overflow <= 0, `on a phone ${path} is ${overflow}px wider than the screen`);
  }
  await page.context().close();
}

await walk('applicant', async (browser) => {
  await fileOnline(browser, 'vi');
  await fileOnline(browser, 'en');
  await onAPhone(browser);
});
