// Test harness for the real-browser tests: starts the real `vertrouwd demo` binary on a
// temporary data folder and a free loopback port, a tiny "neutral site" for the quick exit
// to land on, and Debian's Chromium through playwright-core. Nothing leaves 127.0.0.1.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');
export const outputDir = resolve(process.env.VD_TEST_OUTPUT || join(repoRoot, 'test-output'));
mkdirSync(outputDir, { recursive: true });

export const binary = resolve(
  process.env.VERTROUWD_BIN || join(repoRoot, 'build', 'src', 'app', 'vertrouwd'));

const require = createRequire(import.meta.url);
export const axeSource = (await import('node:fs')).readFileSync(
  require.resolve('axe-core/axe.min.js'), 'utf8');

// Every catalog the service ships, in the order of the language picker.
export const languages = ['nl', 'en', 'ro', 'bg', 'hu', 'pl', 'es', 'pt_BR', 'th', 'uk', 'ru', 'zh_CN'];
export const helpSlugs = ['advisor', 'rights', 'health', 'safety', 'money', 'housing', 'leaving',
  'exploitation', 'organisations'];

// The neutral site the quick exit goes to: one plain page on its own port.
export async function startNeutralSite() {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end('<!doctype html><html lang="en"><title>Weather</title><h1>Weather</h1><p>Sunny.</p></html>');
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${server.address().port}/`;
  return { url, close: () => new Promise((ok) => server.close(ok)) };
}

// Starts `vertrouwd demo`; resolves with its base URL and the demo logins it printed.
export async function startService(exitUrl) {
  const data = mkdtempSync(join(tmpdir(), 'vd-e2e-'));
  const config = join(data, 'vertrouwd.toml');
  // The tests act as several workers from one machine: as behind nginx, X-Real-IP from the
  // trusted proxy (here the loopback address) names each client for the throttles.
  writeFileSync(config, `[server]\nmetrics_listen = ""\n\n[site]\nexit_url = "${exitUrl}"\n` +
    'trusted_proxy = "127.0.0.1"\n');
  const child = spawn(binary, ['--config', config, 'demo', '--data', join(data, 'db'),
    '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const ready = new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`vertrouwd did not start:\n${out}\n${err}`)), 60000);
    child.stdout.on('data', (d) => {
      out += d;
      if (/Stop with Ctrl-C/.test(out)) { clearTimeout(timer); ok(); }
    });
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`vertrouwd exited ${code}:\n${out}\n${err}`)); });
  });
  await ready;
  const url = /Worker side \(no account\):\s+(\S+)/.exec(out)[1].replace(/\/$/, '');
  const logins = {};
  for (const m of out.matchAll(/^\s+(\S+)\s+(\S+)\s+(advisor|coordinator|analyst|admin)\s+(\S+)\s+([A-Z2-7]{16,})\s*$/gm)) {
    logins[m[1]] = { username: m[1], password: m[2], role: m[3], totp: m[5] };
  }
  return {
    url,
    logins,
    stop: async () => {
      child.removeAllListeners('exit');
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((ok) => setTimeout(ok, 5000))]);
      rmSync(data, { recursive: true, force: true });
    },
  };
}

export function totpCode(secret) {
  const r = spawnSync(binary, ['totp', secret], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vertrouwd totp failed: ${r.stderr}`);
  return r.stdout.trim();
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

// Runs axe-core (WCAG 2.0/2.1 A and AA plus best practices) on the page and returns the
// violations in a short, readable form. axe is evaluated through the DevTools protocol,
// so the page's strict CSP stays on.
export async function axeViolations(page) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }));
  });
  return result;
}

// Counts the bytes a page load transfers, by kind (document, stylesheet, script, other):
// response bodies plus status line and headers, as the browser received them.
export function weigh(page) {
  const totals = { document: 0, stylesheet: 0, script: 0, other: 0, requests: 0 };
  const pending = [];
  page.on('requestfinished', (request) => {
    pending.push((async () => {
      const sizes = await request.sizes().catch(() => null);
      if (!sizes) return;
      const type = request.resourceType();
      const kind = ['document', 'stylesheet', 'script'].includes(type) ? type : 'other';
      totals[kind] += sizes.responseBodySize + sizes.responseHeadersSize;
      totals.requests += 1;
    })());
  });
  return async () => {
    await Promise.all(pending);
    return { ...totals, total: totals.document + totals.stylesheet + totals.script };
  };
}
