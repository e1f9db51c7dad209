// Staff self-service and administration in a real browser (issue 14): an advisor changes
// her password and sets up a new authenticator; an admin resets a colleague's two-step
// login and enables a disabled advisor again, who then waits for a key holder's approval.
// Every page is checked with axe-core. Screenshots go to test-output/.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { axeViolations, launchBrowser, outputDir, startNeutralSite, startService, totpCode } from './server.mjs';

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

// A TOTP code is accepted once per 30-second step: wait for a step not used yet.
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

async function logIn(page, username, password, secret) {
  await page.goto(`${service.url}/staff/login`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  if (secret) await page.fill('#code', await freshCode(secret));
  await page.click('form[action="/staff/login"] button[type=submit]');
}

async function assertAccessible(page, what) {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `${what}: ${JSON.stringify(violations, null, 1)}`);
}

// The secret the enrolment page shows, and the code that confirms it.
async function enrolNewAuthenticator(page, shot) {
  await page.waitForURL('**/staff/enrol');
  await assertAccessible(page, 'enrolment page');
  if (shot) await page.screenshot({ path: join(outputDir, shot), fullPage: true });
  const secret = (await page.locator('p.secret code').innerText()).replace(/\s+/g, '');
  await page.fill('#code', await freshCode(secret));
  await page.click('form[action="/staff/enrol"] button[type=submit]');
  await page.waitForURL('**/staff');
  return secret;
}

describe('staff self-service', () => {
  test('an advisor changes her password and sets up a new authenticator', { timeout: 240000 }, async () => {
    const me = service.logins['advisor.shop'];
    assert.ok(me, 'demo printed the advisor login');
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await logIn(page, me.username, me.password, me.totp);
    await page.waitForURL('**/staff');
    await page.click('a[href="/staff/account"]');
    await page.waitForURL('**/staff/account');
    await assertAccessible(page, 'account page');
    await page.screenshot({ path: join(outputDir, 'staff-account.png'), fullPage: true });

    // A weak new password is refused with the policy, in words (before any code is checked).
    const fresh = 'my own long passphrase now';
    await page.fill('#password', me.password);
    await page.fill('#code', '000000');
    await page.fill('#new_password', 'aaaaaaaaaaaaaaa');
    await page.fill('#new_password2', 'aaaaaaaaaaaaaaa');
    await page.click('form[action="/staff/account/password"] button[type=submit]');
    assert.match(await page.locator('p.error').innerText(), /at least 6 different/);
    await assertAccessible(page, 'account page with an error');

    await page.fill('#password', me.password);
    await page.fill('#code', await freshCode(me.totp));
    await page.fill('#new_password', fresh);
    await page.fill('#new_password2', fresh);
    await page.click('form[action="/staff/account/password"] button[type=submit]');
    await page.waitForURL('**/staff/account?changed=password');
    assert.match(await page.locator('p.notice').innerText(), /Your password has been changed/);

    // A new authenticator: the password and a code of the current one, then the new code.
    await page.fill('#totp_password', fresh);
    await page.fill('#totp_code', await freshCode(me.totp));
    await page.click('form[action="/staff/account/totp"] button[type=submit]');
    const newSecret = await enrolNewAuthenticator(page, 'staff-new-authenticator.png');
    assert.notEqual(newSecret, me.totp);
    await context.close();

    // The old password and the old authenticator no longer work; the new ones do. (A
    // refused login spends no code, so these use the current step.)
    const check = await browser.newContext({ locale: 'en-GB' });
    const again = await check.newPage();
    for (const [password, code] of [[me.password, totpCode(newSecret)], [fresh, totpCode(me.totp)]]) {
      await again.goto(`${service.url}/staff/login`);
      await again.fill('#username', me.username);
      await again.fill('#password', password);
      await again.fill('#code', code);
      await again.click('form[action="/staff/login"] button[type=submit]');
      assert.match(await again.locator('p.error').innerText(), /Login failed/);
    }
    await logIn(again, me.username, fresh, newSecret);
    await again.waitForURL('**/staff');
    await check.close();
  });

  test('an admin resets two-step login and enables an advisor, who waits for a grant', { timeout: 150000 }, async () => {
    const admin = service.logins.admin;
    const coordinator = service.logins['coordinator.dehaven'];
    const advisor = service.logins['advisor.dehaven'];
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await logIn(page, admin.username, admin.password, admin.totp);
    await page.waitForURL('**/staff');
    await page.goto(`${service.url}/staff/users`);
    await assertAccessible(page, 'staff page');
    const row = (name) => page.locator('tr', { has: page.locator('td', { hasText: new RegExp(`^${name.replace('.', '\\.')}$`) }) });
    await row(coordinator.username).locator('form[action$="/reset-totp"] button').click();
    await page.waitForURL('**/staff/users');
    await row(advisor.username).locator('input[name=confirm]').check();
    await row(advisor.username).locator('form[action$="/disable"] button').click();
    await page.waitForURL('**/staff/users');
    await row(advisor.username).locator('form[action$="/enable"] button').click();
    await page.waitForURL('**/staff/users');
    await page.screenshot({ path: join(outputDir, 'staff-users.png'), fullPage: true });
    assert.equal(await row(advisor.username).locator('form[action$="/enable"]').count(), 0);
    await context.close();

    // The coordinator sets up two-step login again at her next login.
    const c2 = await browser.newContext({ locale: 'en-GB' });
    const coord = await c2.newPage();
    await logIn(coord, coordinator.username, coordinator.password, null);
    await enrolNewAuthenticator(coord, null);
    await c2.close();

    // The advisor, enabled again, logs in and reads nothing until a key holder approves her.
    const c3 = await browser.newContext({ locale: 'en-GB' });
    const adv = await c3.newPage();
    await logIn(adv, advisor.username, advisor.password, advisor.totp);
    await adv.waitForURL('**/staff');
    assert.match(await adv.locator('p.notice').first().innerText(), /You cannot read conversations yet/);
    await assertAccessible(adv, 'home of an advisor waiting for access');
    await adv.goto(`${service.url}/staff/access`);
    await assertAccessible(adv, 'access page');
    await c3.close();
  });
  test('an advisor ends a session she left open in another browser', { timeout: 120000 }, async () => {
    const me = service.logins['advisor.independent'];
    const elsewhere = await browser.newContext({ locale: 'en-GB' });
    const left = await elsewhere.newPage();
    await logIn(left, me.username, me.password, me.totp);
    await left.waitForURL('**/staff');
    const here = await browser.newContext({ locale: 'en-GB', viewport: { width: 360, height: 800 } });
    const page = await here.newPage();
    await logIn(page, me.username, me.password, me.totp);
    await page.waitForURL('**/staff');
    await page.goto(`${service.url}/staff/account#sessions`);
    await assertAccessible(page, 'account page with sessions');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'fits 360 px');
    assert.match(await page.locator('ul.sessions').innerText(), /this browser/);
    const ends = page.locator('ul.sessions form[action$="/end"] button');
    assert.equal(await ends.count(), 1);
    await ends.click();
    await page.waitForURL('**/staff/account?changed=sessions');
    assert.match(await page.locator('p.notice').innerText(), /The session has ended/);
    await page.screenshot({ path: join(outputDir, 'staff-sessions.png'), fullPage: true });
    assert.equal(await page.locator('ul.sessions form').count(), 0);
    await left.goto(`${service.url}/staff`);
    assert.match(left.url(), /\/staff\/login/);
    await elsewhere.close();
    await here.close();
  });

  test('an admin adds an organisation and names one per language', { timeout: 120000 }, async () => {
    const admin = service.logins.admin;
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 360, height: 800 } });
    const page = await context.newPage();
    await logIn(page, admin.username, admin.password, admin.totp);
    await page.waitForURL('**/staff');
    await page.click('a[href="/staff/organisations"]');
    await page.waitForURL('**/staff/organisations');
    await assertAccessible(page, 'organisations page');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'fits 360 px');
    await page.fill('#slug', 'Red Light');
    await page.fill('#name', 'Red Light United');
    await page.click('form[action="/staff/organisations"] button[type=submit]');
    assert.match(await page.locator('p.error').innerText(), /short name/);
    await assertAccessible(page, 'organisations page with an error');
    await page.fill('#slug', 'redlight');
    await page.click('form[action="/staff/organisations"] button[type=submit]');
    await page.waitForURL('**/staff/organisations/*?added=1');
    await assertAccessible(page, 'organisation names page');
    await page.screenshot({ path: join(outputDir, 'staff-organisation.png'), fullPage: true });

    // SHOP gets a Romanian name; a Romanian worker sees it on the start page.
    await page.goto(`${service.url}/staff/organisations`);
    await page.click('a:text-is("shop")');
    await page.fill('#name_ro', 'SHOP Haga');
    await page.click('form button[type=submit].primary');
    await page.waitForURL('**?saved=1');
    assert.equal(await page.inputValue('#name_ro'), 'SHOP Haga');
    await context.close();
    const worker = await browser.newContext({ locale: 'ro-RO', javaScriptEnabled: false });
    const w = await worker.newPage();
    await w.goto(`${service.url}/start?lang=ro`);
    assert.match(await w.locator('form').first().innerText(), /SHOP Haga/);
    await worker.close();
  });
});
