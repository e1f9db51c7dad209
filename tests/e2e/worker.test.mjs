// Real-browser tests of the worker side (and one advisor), run by `node --test` against the
// real binary in Debian's Chromium. Writes screenshots and page weights to test-output/.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  axeViolations, helpSlugs, languages, launchBrowser, outputDir, startNeutralSite, startService,
  totpCode, weigh,
} from './server.mjs';

const kMaxPageBytes = 50 * 1024;
let neutral;
let service;
let browser;
const weights = {};  // "lang path" -> bytes by kind

before(async () => {
  neutral = await startNeutralSite();
  service = await startService(neutral.url);
  browser = await launchBrowser();
});

after(async () => {
  writeFileSync(join(outputDir, 'page-weights.json'), JSON.stringify(weights, null, 2) + '\n');
  await browser?.close();
  await service?.stop();
  await neutral?.close();
});

async function newWorker(options = {}) {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, ...options });
  const page = await context.newPage();
  return { context, page };
}

// Loads `path` in a fresh page, weighs it, and checks the limits every worker page keeps.
async function visit(page, path, label) {
  const measure = weigh(page);
  const response = await page.goto(service.url + path);
  await page.waitForLoadState('load');
  const w = await measure();
  weights[label] = w;
  assert.ok(w.total < kMaxPageBytes, `${label}: ${w.total} bytes (limit ${kMaxPageBytes})`);
  const headers = response.headers();
  assert.match(headers['cache-control'] ?? '', /no-store/, `${label}: Cache-Control`);
  assert.match(headers['content-security-policy'] ?? '', /default-src 'none'/, `${label}: CSP`);
  assert.equal(await page.locator('#quick-exit').count(), 1, `${label}: quick exit`);
  return response;
}

async function assertAccessible(page, label) {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `${label}: axe violations\n${JSON.stringify(violations, null, 2)}`);
}

async function shoot(page, name) {
  await page.screenshot({ path: join(outputDir, `${name}.png`), fullPage: true });
}

async function setLanguage(page, lang) {
  await page.goto(`${service.url}/?lang=${lang}`);
}

// Starts a conversation from the home page, as a worker would; returns the receipt digits.
// (axe needs script in the page: with JavaScript disabled the same pages are checked by the
// tests that have it.)
async function startConversation(page, message, label, { axe = true, organisation = null } = {}) {
  await page.locator('a.button.primary[href="/start"]').first().click();
  await page.waitForURL('**/start');
  if (organisation) await page.locator(`input[name=organisation][value=${organisation}]`).check();
  await page.locator('#message').fill(message);
  await page.locator('form[action="/start"] button[type=submit]').click();
  await page.locator('.receipt').waitFor();
  if (axe) await assertAccessible(page, `${label} receipt`);
  await shoot(page, `${label}-receipt-360`);
  const receipt = (await page.locator('.receipt span').allTextContents()).join('');
  assert.match(receipt, /^\d{16}$/);
  return receipt;
}

async function openWithReceipt(page, receipt) {
  await page.locator('a.button[href="/open"]').first().click();
  await page.waitForURL('**/open');
  await page.locator('#receipt').fill(receipt.replace(/(\d{4})(?=\d)/g, '$1 '));
  await page.locator('form[action="/open"] button[type=submit]').click();
  await page.locator('ol.messages').waitFor();
}

describe('static worker pages', () => {
  for (const lang of languages) {
    test(`every static page in ${lang}: axe, weight, headers, screenshots`, { timeout: 180000 }, async () => {
      const { context, page } = await newWorker();
      await setLanguage(page, lang);
      const tag = lang.replace('_', '-');
      const paths = ['/', '/language', '/help', ...helpSlugs.map((s) => `/help/${s}`), '/start',
        '/open', '/no-such-page'];
      for (const path of paths) {
        const response = await visit(page, path, `${lang} ${path}`);
        assert.equal(response.status(), path === '/no-such-page' ? 404 : 200, `${lang} ${path}`);
        assert.equal(await page.getAttribute('html', 'lang'), tag);
        await assertAccessible(page, `${lang} ${path}`);
      }
      for (const [path, name] of [['/', 'home'], ['/help', 'help'], ['/help/exploitation', 'help-exploitation'],
        ['/start', 'start'], ['/no-such-page', 'error']]) {
        await page.goto(service.url + path);
        await shoot(page, `${lang}-${name}-360`);
      }
      await page.setViewportSize({ width: 1280, height: 900 });
      for (const [path, name] of [['/', 'home'], ['/start', 'start'], ['/help/health', 'help-health']]) {
        await page.goto(service.url + path);
        await shoot(page, `${lang}-${name}-1280`);
      }
      // 320 px: nothing may need sideways scrolling.
      await page.setViewportSize({ width: 320, height: 640 });
      for (const path of ['/', '/start', '/help', '/help/rights']) {
        await page.goto(service.url + path);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${lang} ${path}: ${overflow}px wider than a 320 px screen`);
      }
      await context.close();
    });
  }
});

// The bytes of the HTML a form post brought back: with JavaScript the post goes through
// fetch (static/exit.js) and the answer replaces the page, so it is weighed as that response.
function weighPosts(page) {
  const posts = [];
  page.on('requestfinished', (request) => {
    if (request.method() !== 'POST') return;
    posts.push(request.sizes().then((s) => s.responseBodySize + s.responseHeadersSize).catch(() => 0));
  });
  return async () => (posts.length ? Promise.all(posts).then((all) => all[all.length - 1]) : 0);
}

// The same worker pages in every language. Each language is its own client behind the
// trusted proxy (X-Real-IP), so the per-client limit on new conversations holds for each.
describe('dynamic worker pages', () => {
  test('receipt, conversation, closed and deleted pages in every language: axe, weight, lang', { timeout: 900000 }, async () => {
    // <html lang> of the pages a form post brought back (written to test-output/post-langs.json).
    const postLangs = {};
    async function one(lang, index) {
      const tag = lang.replace('_', '-');
      const { context, page } = await newWorker({ extraHTTPHeaders: { 'X-Real-IP': `192.0.2.${10 + index}` } });
      try {
        await setLanguage(page, lang);
        // CSS and script as a first visit transfers them; the dynamic pages use the same files.
        const home = await visit(page, '/', `${lang} / (assets)`);
        assert.equal(home.status(), 200);
        const assets = weights[`${lang} / (assets)`].stylesheet + weights[`${lang} / (assets)`].script;
        assert.ok(assets > 0, `${lang}: stylesheet and script weighed`);
        for (const ending of ['closed', 'deleted']) {
          // Closing and deleting send Clear-Site-Data, which also drops the language cookie.
          await setLanguage(page, lang);
          let lastPost = weighPosts(page);
          // To SHOP: the advisor test below answers every conversation of the independent advisors.
          await startConversation(page, `${lang}: a question before ${ending}`, `${lang}-${ending}`,
            { organisation: 'shop' });
          const receiptHtml = await lastPost();
          assert.ok(receiptHtml > 0, `${lang} receipt weighed`);
          weights[`${lang} receipt`] = { document: receiptHtml, assets, total: receiptHtml + assets };
          assert.ok(receiptHtml + assets < kMaxPageBytes, `${lang} receipt: ${receiptHtml + assets} bytes`);
          postLangs[`${lang} receipt`] = await page.getAttribute('html', 'lang');
          assert.equal(postLangs[`${lang} receipt`], tag, `${lang} receipt lang`);

          await visit(page, '/c', `${lang} /c`);
          await page.locator('ol.messages').waitFor();
          assert.equal(await page.getAttribute('html', 'lang'), tag, `${lang} conversation lang`);
          await assertAccessible(page, `${lang} conversation`);
          if (ending === 'closed') await shoot(page, `${lang}-conversation-360`);

          lastPost = weighPosts(page);
          if (ending === 'closed') {
            await page.locator('form[action="/c/close"] button').click();
          } else {
            await page.locator('form[action="/c/delete"] input[name=confirm]').check();
            await page.locator('form[action="/c/delete"] button').click();
          }
          // The way back names the language: Clear-Site-Data has dropped the language cookie.
          await page.locator(`a.button[href="/?lang=${tag}"]`).waitFor();
          const html = await lastPost();
          assert.ok(html > 0, `${lang} ${ending} weighed`);
          weights[`${lang} ${ending}`] = { document: html, assets, total: html + assets };
          assert.ok(html + assets < kMaxPageBytes, `${lang} ${ending}: ${html + assets} bytes`);
          postLangs[`${lang} ${ending}`] = await page.getAttribute('html', 'lang');
          assert.equal(postLangs[`${lang} ${ending}`], tag, `${lang} ${ending} lang`);
          assert.equal(await page.locator('#quick-exit').count(), 1, `${lang} ${ending}: quick exit`);
          await assertAccessible(page, `${lang} ${ending}`);
          await shoot(page, `${lang}-${ending}-360`);
        }
      } finally {
        await context.close();
      }
    }
    // A few browser contexts at a time: the machine running the tests may be small.
    const queue = languages.map((lang, index) => [lang, index]);
    const errors = [];
    await Promise.all(Array.from({ length: 3 }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        await one(...next).catch((e) => errors.push(e));
      }
    }));
    writeFileSync(join(outputDir, 'post-langs.json'), JSON.stringify(postLangs, null, 2) + '\n');
    if (errors.length) throw errors[0];
  });
});

describe('conversations', () => {
  test('workers in Romanian and Thai start, an advisor answers, they come back with the receipt', { timeout: 180000 }, async () => {
    const receipts = {};
    for (const lang of ['ro', 'th']) {
      const { context, page } = await newWorker();
      await setLanguage(page, lang);
      receipts[lang] = await startConversation(page, `Bună ziua / สวัสดี: first message ${lang}`, `${lang}-worker`);
      await page.locator('a.button.primary[href="/c"]').click();
      await page.locator('ol.messages').waitFor();
      await assertAccessible(page, `${lang} conversation`);
      await context.close();
    }

    // The advisor of the independent advisors logs in (password + TOTP) and answers both.
    const advisor = service.logins['advisor.independent'];
    assert.ok(advisor, 'demo printed the advisor login');
    const staff = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const sp = await staff.newPage();
    await sp.goto(`${service.url}/staff/login`);
    await sp.locator('#username').fill(advisor.username);
    await sp.locator('#password').fill(advisor.password);
    await sp.locator('#code').fill(totpCode(advisor.totp));
    await sp.locator('form[action="/staff/login"] button[type=submit]').click();
    await sp.locator('table.inbox').waitFor();
    const links = await sp.locator('table.inbox a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.equal(links.length, 2);
    for (const href of links) {
      await sp.goto(service.url + href);
      await sp.locator('#message').fill('Answer from the advisor: the GGD tests for free.');
      await sp.locator('form[action$="/reply"] button[type=submit]').click();
      await sp.locator('li.mine').first().waitFor();
    }
    await sp.screenshot({ path: join(outputDir, 'staff-conversation-1280.png'), fullPage: true });
    await staff.close();

    for (const lang of ['ro', 'th']) {
      const { context, page } = await newWorker();
      await setLanguage(page, lang);
      await openWithReceipt(page, receipts[lang]);
      assert.match(await page.locator('ol.messages').innerText(), /GGD tests for free/);
      await assertAccessible(page, `${lang} conversation with answer`);
      await shoot(page, `${lang}-conversation-360`);
      if (lang === 'ro') {
        await page.locator('form[action="/c/close"] button').click();
        await page.locator('a.button[href="/?lang=ro"]').waitFor();
        await assertAccessible(page, 'ro closed');
        await shoot(page, 'ro-closed-360');
      } else {
        await page.locator('form[action="/c/delete"] input[name=confirm]').check();
        await page.locator('form[action="/c/delete"] button').click();
        await page.locator('a.button[href="/?lang=th"]').waitFor();
        await assertAccessible(page, 'th deleted');
        await shoot(page, 'th-deleted-360');
      }
      await context.close();
    }
  });

  test('the quick exit leaves no page of the service in the back history', { timeout: 120000 }, async () => {
    const { context, page } = await newWorker();
    await page.goto(`${neutral.url}before`);
    await page.goto(`${service.url}/?lang=en`);
    // A whole visit: links, a form, the receipt, the conversation, a reply.
    await page.locator('footer a[href="/help"]').click();
    await page.locator('a[href="/help/safety"]').click();
    await page.locator('h1').waitFor();
    await page.locator('a.button[href="/help"]').click();
    await page.locator('.help-index').waitFor();
    await page.locator('a.brand').click();
    await startConversation(page, 'Testing the quick exit.', 'exit');
    await page.locator('a.button.primary[href="/c"]').click();
    await page.locator('#message').fill('A reply before leaving.');
    await page.locator('form[action="/c/reply"] button[type=submit]').click();
    await page.locator('li.mine >> nth=1').waitFor();
    await page.locator('#quick-exit').click();
    await page.waitForURL(neutral.url);
    // Walk back through the whole history: no entry may belong to the service.
    const seen = [page.url()];
    for (let i = 0; i < 20; i++) {
      const here = page.url();
      await page.goBack({ waitUntil: 'load' }).catch(() => null);
      if (page.url() === here) break;
      seen.push(page.url());
    }
    assert.ok(seen.every((u) => !u.startsWith(service.url)), `back history: ${seen.join(' <- ')}`);
    assert.ok(seen.includes(`${neutral.url}before`), `back history: ${seen.join(' <- ')}`);
    await context.close();
  });

  test('three presses of Shift leave at once', { timeout: 60000 }, async () => {
    const { context, page } = await newWorker();
    await page.goto(`${service.url}/help?lang=en`);
    for (let i = 0; i < 3; i++) await page.keyboard.press('Shift');
    await page.waitForURL(neutral.url);
    await context.close();
  });

  test('the worker flow works with JavaScript disabled', { timeout: 120000 }, async () => {
    const { context, page } = await newWorker({ javaScriptEnabled: false });
    await setLanguage(page, 'ro');
    const receipt = await startConversation(page, 'Fără JavaScript.', 'nojs-ro', { axe: false });
    await page.locator('a.button.primary[href="/c"]').click();
    await page.locator('#message').fill('Un răspuns fără JavaScript.');
    await page.locator('form[action="/c/reply"] button[type=submit]').click();
    await page.locator('li.mine >> nth=1').waitFor();
    await page.locator('form[action="/c/close"] button').click();
    await page.locator('a.button[href="/?lang=ro"]').click();
    // Closing cleared the site's cookies, the language one too; the way back keeps Romanian.
    await page.waitForURL(/\/\?lang=ro$/);
    assert.equal(await page.getAttribute('html', 'lang'), 'ro');
    await openWithReceipt(page, receipt);
    assert.match(await page.locator('ol.messages').innerText(), /Un răspuns fără JavaScript/);
    // Without JavaScript the exit is a plain link: it still lands on the neutral site.
    await page.locator('#quick-exit').click();
    await page.waitForURL(neutral.url);
    await context.close();
  });
});
