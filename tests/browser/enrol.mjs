// An administrator's first sign-in, in both languages: the start page asks for two-step
// sign-in; the key is shown as a QR code and as text; a wrong code is told; the right one (a
// TOTP computed here from the key shown, RFC 6238) turns it on and shows the recovery codes
// once; then the work pages open.
//
// MOTCUA_BASE: where motcua answers; MOTCUA_USERNAME_VI, MOTCUA_USERNAME_EN, MOTCUA_PASSWORD:
// two administrators who have not enrolled.

import { createHmac } from 'node:crypto';

import { BASE, env, look, messages, navigating, newPage, walk } from './lib.mjs';

const password = env('MOTCUA_PASSWORD');

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

/** RFC 4648 base32 to bytes. */
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The RFC 6238 code (SHA-1, 30 s, 6 digits) of `key` now. */
function totp(key) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const mac = createHmac('sha1', base32(key)).update(counter).digest();
  const at = mac[mac.length - 1] & 0xf;
  const n = (mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000;
  return String(n).padStart(6, '0');
}

async function enrol(browser, lang, username) {
  const t = await messages(lang);
  const page = await newPage(browser, { lang });
  await page.goto(`${BASE}/sign-in`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await navigating(page, () => page.keyboard.press('Enter'));
  await look(page, 'home-enrol');
  expect(
    (await page.locator('main').innerText()).includes(t('enrol-needed')),
    'the start page does not ask for two-step sign-in',
  );
  await navigating(page, () => page.click('form[action="/account/second-factor"] button'));
  await look(page, 'enrol');
  expect(await page.locator('svg.qr').isVisible(), 'no QR code');
  const key = (await page.locator('code.key').innerText()).trim();

  await page.fill('#code', '000000');
  await navigating(page, () => page.click('form[action="/account/second-factor/confirm"] button'));
  expect((await page.getByRole('alert').innerText()).trim() === t('error-wrong_code'), 'no error');
  await look(page, 'enrol-wrong-code');

  await page.fill('#code', totp(key));
  await navigating(page, () => page.click('form[action="/account/second-factor/confirm"] button'));
  await look(page, 'recovery-codes');
  expect((await page.locator('ul.codes li').count()) === 10, 'not ten recovery codes');
  const queue = await page.goto(`${BASE}/dossiers`);
  expect(queue.status() === 200 && new URL(page.url()).pathname === '/dossiers', 'still closed');
  await page.context().close();
}

await walk('enrol', async (browser) => {
  await enrol(browser, 'vi', env('MOTCUA_USERNAME_VI'));
  await enrol(browser, 'en', env('MOTCUA_USERNAME_EN'));
});
