// The walks' own checks catch what they are there to catch: a page of our own making, served
// here on the loopback, breaks each rule once (a request to another host, axe violations, two
// <h1>, no <main>, the wrong <html lang>), and `look` must name every one; a page that keeps
// the rules passes, and a known defect that is gone is reported.

import http from 'node:http';

const broken = `<!doctype html><html lang="vi"><head><title>Broken</title></head><body>
<h1>One</h1><h1>Two</h1>
<p style="color:#bbb">Faint words</p>
<input id="nameless">
<img src="http://localhost:PORT/elsewhere.png" alt="">
</body></html>`;
const sound = `<!doctype html><html lang="en"><head><title>Sound</title></head><body>
<main><h1>Fine</h1><label for="n">Name</label> <input id="n"></main></body></html>`;

const server = http.createServer((req, res) => {
  const pages = { '/broken': broken.replace('PORT', server.address().port), '/sound': sound };
  const body = pages[req.url];
  res.writeHead(body ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
  res.end(body ?? '');
});
await new Promise((ready) => server.listen(0, '127.0.0.1', ready));
process.env.MOTCUA_BASE = `http://127.0.0.1:${server.address().port}`;
const { checkA11y, newPage, visit, walk } = await import('./lib.mjs');

/** The message `act` fails with, or a failure because it did not. */
async function failure(act, what) {
  try {
    await act();
  } catch (e) {
    return e.message;
  }
  throw new Error(`${what} passed`);
}

function mentions(message, expected) {
  const missing = expected.filter((words) => !message.includes(words));
  if (missing.length) {
    throw new Error(`the failure does not name ${missing.join(', ')}:\n${message}`);
  }
}

await walk('self_check', async (browser) => {
  const page = await newPage(browser, { lang: 'en' });
  const left = await failure(
    () => visit(page, '/broken', 'self-check-broken'),
    'a page that asked another host',
  );
  mentions(left, ['requests left', 'http://localhost:']);

  const fresh = await newPage(browser, { lang: 'en' });
  await fresh.goto(`${process.env.MOTCUA_BASE}/broken`);
  const axe = await failure(
    () => checkA11y(fresh, 'self-check-broken'),
    'a page breaking the rules',
  );
  mentions(axe, [
    'color-contrast [serious]',
    'label [critical]',
    '#nameless',
    '2 <h1> elements',
    '0 <main> landmarks',
    '<html lang="vi">, but en was chosen',
  ]);

  const good = await newPage(browser, { lang: 'en' });
  await visit(good, '/sound', 'self-check-sound');
  const stale = await failure(
    () => visit(good, '/sound', 'self-check-sound', { knownDefects: ['main'] }),
    'a known defect that is gone',
  );
  mentions(stale, ['the known defect "main" is gone']);
});
server.close();
