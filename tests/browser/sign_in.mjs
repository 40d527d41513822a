// A person signs in, in Vietnamese and in English: the sign-in page; a wrong password, told in
// their language; then with the keyboard alone (skip link, username, password, Enter) to the
// start page, where they change the language and sign out, still with the keyboard. Then the
// public result check (/verify), a page that does not exist, and the sign-in page on a phone.
//
// MOTCUA_BASE: where motcua answers; MOTCUA_USERNAME, MOTCUA_PASSWORD: an account without a
// second factor; MOTCUA_NAME: its display name, if it has one.

import {
  BASE,
  env,
  focused,
  isFocused,
  look,
  messages,
  navigating,
  newPage,
  shot,
  tab,
  tabTo,
  visit,
  walk,
} from './lib.mjs';

const username = env('MOTCUA_USERNAME');
const password = env('MOTCUA_PASSWORD');
const name = process.env.MOTCUA_NAME || username;

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

async function text(page, selector) {
  return (await page.locator(selector).innerText()).trim();
}

async function signInAndOut(browser, lang, other) {
  const t = await messages(lang);
  const o = await messages(other);
  const page = await newPage(browser, { lang });

  // The sign-in page, in their language.
  await visit(page, '/sign-in', 'sign-in');
  expect((await text(page, 'h1')) === t('sign-in-title'), 'the heading is not the sign-in title');

  // A wrong password: the form again, saying so in their language, where a screen reader
  // announces it and the username field points to it.
  await page.fill('#username', username);
  await page.fill('#password', 'not-the-password');
  const wrong = await navigating(page, () => page.keyboard.press('Enter'));
  expect(wrong.status() === 401, `a wrong password answered ${wrong.status()}, not 401`);
  const alert = page.getByRole('alert');
  expect(await alert.isVisible(), 'no visible role=alert after a wrong password');
  const said = (await alert.innerText()).trim();
  expect(said === t('error-invalid_credentials'), `the error says "${said}"`);
  const describedBy = await page.getAttribute('#username', 'aria-describedby');
  const alertId = await alert.getAttribute('id');
  expect(alertId && describedBy === alertId, 'the username field does not point to the error');
  expect((await page.inputValue('#username')) === username, 'the username was not kept');
  await look(page, 'sign-in-error');

  // With the keyboard alone: from the top of a fresh page, the skip link comes first and
  // leads to the form; username, password, Enter.
  await page.goto(`${BASE}/sign-in`);
  expect(await isFocused(page, 'body'), `the page starts focused on ${await focused(page)}`);
  await tab(page, 'a.skip');
  const skip = await page.locator('a.skip').boundingBox();
  const view = page.viewportSize();
  expect(
    skip && skip.x >= 0 && skip.y >= 0 && skip.x + skip.width <= view.width,
    `the focused skip link is not on screen (${JSON.stringify(skip)})`,
  );
  expect((await text(page, 'a.skip')) === t('skip-to-content'), 'the skip link is not in words');
  await shot(page, 'sign-in-skip-link');
  await page.keyboard.press('Enter');
  expect(await isFocused(page, 'main'), `the skip link led to ${await focused(page)}, not <main>`);
  await tab(page, '#username');
  await page.keyboard.type(username);
  await tab(page, '#password');
  await page.keyboard.type(password);
  const home = await navigating(page, () => page.keyboard.press('Enter'));
  expect(home.status() === 200, `signing in ended on ${home.status()}`);
  expect(new URL(page.url()).pathname === '/', `signing in ended on ${page.url()}, not /`);
  await look(page, 'home');
  expect((await text(page, 'h1')) === t('welcome', { name }), 'the start page does not greet them');

  // The other language, chosen with the keyboard: the list, an arrow key, the button.
  await tabTo(page, '#lang');
  await page.keyboard.press(other === 'en' ? 'ArrowDown' : 'ArrowUp');
  expect((await page.inputValue('#lang')) === other, `the arrow key did not choose ${other}`);
  await tab(page, 'form.language button');
  await navigating(page, () => page.keyboard.press('Enter'));
  expect(new URL(page.url()).pathname === '/', `changing the language left ${page.url()}`);
  await look(page, 'home');
  expect((await text(page, 'h1')) === o('welcome', { name }), `the start page is not in ${other}`);

  // Sign out with the keyboard; then the start page is closed to them.
  const signOut = 'form[action="/sign-out"] button';
  await tabTo(page, signOut);
  expect((await text(page, signOut)) === o('sign-out-button'), `sign-out is not in ${other}`);
  await navigating(page, () => page.keyboard.press('Enter'));
  expect(new URL(page.url()).pathname === '/sign-in', `signing out ended on ${page.url()}`);
  expect((await text(page, 'h1')) === o('sign-in-title'), `the sign-in page is not in ${other}`);
  await page.goto(`${BASE}/`);
  expect(new URL(page.url()).pathname === '/sign-in', 'after signing out, / still opens');

  await page.context().close();
}

async function publicPages(browser, lang) {
  const t = await messages(lang);
  const page = await newPage(browser, { lang });

  // The public check of a result's PDF: the form, in their language.
  await visit(page, '/verify', 'verify');
  const file = page.getByLabel(t('verify-upload'));
  expect(await file.isVisible(), '/verify has no labelled file field');

  // A page that does not exist: a page in their language saying so, with the 404.
  await visit(page, '/no-such-page', 'not-found', { status: 404 });
  expect((await text(page, 'h1')) === t('error-title'), 'the 404 page has no plain heading');

  await page.context().close();
}

await walk('sign_in', async (browser) => {
  for (const [lang, other] of [
    ['vi', 'en'],
    ['en', 'vi'],
  ]) {
    await signInAndOut(browser, lang, other);
    await publicPages(browser, lang);
  }

  // On a phone: the sign-in page fits its width.
  const phone = await newPage(browser, { lang: 'vi', phone: true });
  await visit(phone, '/sign-in', 'sign-in');
  const overflow = await phone.evaluate((w) => document.documentElement.scrollWidth - w, phone.viewportSize().width);
  expect(overflow <= 0, `on a phone the sign-in page is ${overflow}px wider than the screen`);
  await phone.context().close();
});
