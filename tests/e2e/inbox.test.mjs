// The inbox cannot be flooded (issue 14), in Debian's Chromium against the real binary on a
// 360 px phone screen: one real conversation, then 54 more (started over HTTP as workers
// would, each from its own address), so the inbox has two pages. The real one leads page 1,
// the page links work without JavaScript, the coordinator marks it as spam from its row and
// the advisor brings it back with "not spam". axe-core checks every state of the page, and
// nothing is wider than the screen. Screenshots go to test-output/.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { axeViolations, launchBrowser, outputDir, startNeutralSite, startService, totpCode } from './server.mjs';

const kPhone = { width: 360, height: 740 };
const kReal = 'The real question: my boss keeps my passport.';

let neutral;
let service;
let browser;

before(async () => {
  neutral = await startNeutralSite();
  service = await startService(neutral.url);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await service?.stop();
  await neutral?.close();
});

async function assertAccessible(page, what) {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `${what}: ${JSON.stringify(violations, null, 1)}`);
}

async function assertFits(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${what}: ${overflow}px wider than the screen`);
}

// A worker starts a conversation with De Haven: the start form's token, then the form, from
// an address of her own (the service sits behind a trusted proxy here, as behind nginx).
async function startConversation(request, message, n) {
  const headers = { 'X-Real-IP': `10.9.${Math.floor(n / 200)}.${(n % 200) + 1}` };
  const form = await request.get(`${service.url}/start`, { headers });
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())[1];
  const started = await request.post(`${service.url}/start`, {
    headers, form: { csrf, organisation: 'dehaven', message }, maxRedirects: 0,
  });
  assert.ok(started.status() < 400, `start ${n}: ${started.status()}`);
}

const used = new Map();
async function freshCode(secret) {
  for (;;) {
    const step = Math.floor(Date.now() / 30000);
    if ((used.get(secret) ?? -1) < step) {
      used.set(secret, step);
      return totpCode(secret);
    }
    await new Promise((ok) => setTimeout(ok, 500));
  }
}

async function logIn(name) {
  const me = service.logins[name];
  assert.ok(me, `demo printed the ${name} login`);
  const context = await browser.newContext({ viewport: kPhone, locale: 'en-GB', hasTouch: true, isMobile: true });
  const page = await context.newPage();
  await page.goto(`${service.url}/staff/login`);
  await page.fill('#username', me.username);
  await page.fill('#password', me.password);
  await page.fill('#code', await freshCode(me.totp));
  await page.click('form[action="/staff/login"] button[type=submit]');
  await page.waitForURL('**/staff');
  return { context, page };
}

const rowActions = (page) => page.locator('table.inbox form').evaluateAll((fs) => fs.map((f) => f.getAttribute('action')));

describe('inbox', () => {
  test('a flood does not hide a real conversation; spam is marked and undone from the row', { timeout: 300000 }, async () => {
    const workers = await browser.newContext();
    await startConversation(workers.request, kReal, 0);
    for (let i = 1; i <= 54; i += 1) await startConversation(workers.request, `Flood message number ${i}`, i);
    await workers.close();

    // The advisor: the real conversation first, 50 to a page, a link to the next page.
    const advisor = await logIn('advisor.dehaven');
    const page = advisor.page;
    await page.locator('table.inbox').waitFor();
    const first = await rowActions(page);
    assert.equal(first.length, 50);
    await assertAccessible(page, 'inbox page 1');
    await assertFits(page, 'inbox page 1');
    await page.screenshot({ path: join(outputDir, 'staff-inbox-360.png'), fullPage: true });
    const realAction = first[0];
    const realHref = realAction.replace(/\/spam$/, '');
    await page.click(`table.inbox a[href="${realHref}"]`);
    assert.match(await page.locator('ol.messages').innerText(), /my boss keeps my passport/);
    await page.goBack();

    await page.click('nav.pages a[rel=next]');
    await page.waitForURL(/view=waiting&after=/);
    const second = await rowActions(page);
    assert.equal(second.length, 5);
    assert.equal(new Set([...first, ...second]).size, 55);
    await assertAccessible(page, 'inbox page 2');
    await assertFits(page, 'inbox page 2');
    await page.click('nav.pages a[rel=prev]');
    assert.deepEqual(await rowActions(page), first);

    // The coordinator sees the rows without links into them and marks the real one as spam.
    const coordinator = await logIn('coordinator.dehaven');
    const cp = coordinator.page;
    await cp.locator('table.inbox').waitFor();
    assert.equal(await cp.locator('table.inbox a').count(), 0);
    await assertAccessible(cp, 'coordinator inbox');
    await assertFits(cp, 'coordinator inbox');
    await cp.screenshot({ path: join(outputDir, 'staff-inbox-coordinator-360.png'), fullPage: true });
    await cp.locator(`form[action="${realAction}"] button`).tap();
    await cp.waitForURL('**/staff?view=waiting');
    assert.ok(!(await rowActions(cp)).includes(realAction));
    const content = await cp.goto(`${service.url}${realHref}`);
    assert.equal(content.status(), 403);
    assert.doesNotMatch(await cp.content(), /passport/);
    await coordinator.context.close();

    // The advisor finds it under "Spam" and brings it back to the head of the queue.
    await page.goto(`${service.url}/staff`);
    assert.ok(!(await rowActions(page)).includes(realAction));
    await page.click('nav.tabs a[href="/staff?view=spam"]');
    await page.waitForURL('**/staff?view=spam');
    assert.deepEqual(await rowActions(page), [`${realHref}/not-spam`]);
    await assertAccessible(page, 'spam view');
    await assertFits(page, 'spam view');
    await page.screenshot({ path: join(outputDir, 'staff-inbox-spam-360.png'), fullPage: true });
    await page.locator(`form[action="${realHref}/not-spam"] button`).tap();
    await page.locator('table.inbox').waitFor({ state: 'detached' });  // the spam view, now empty
    assert.match(await page.locator('main, body').first().innerText(), /No conversations/);
    await page.click('nav.tabs a[href="/staff?view=waiting"]');
    assert.equal((await rowActions(page))[0], realAction);
    await advisor.context.close();
  });
});
