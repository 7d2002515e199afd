// Drives the log explorer in headless Chromium (Debian's /usr/bin/chromium) with playwright-core, and checks its pages
// with axe-core. Usage: node explorer.mjs <results.json>
// Environment: EXPLORER_URL, EMAIL (a signer's email with an entry in Rekor v1), INJECTED_INDEX (the Rekor v1 index of
// an entry whose SAN carries a script), SCREENSHOT_DIR, CHROMIUM (optional path).
// Writes {search, entry, tampered, injection, axe: {page: [violations]}, screenshots: [...], error?} to results.json.
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const [resultsPath] = process.argv.slice(2);
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env('EXPLORER_URL');
const shots = env('SCREENSHOT_DIR');
const results = { screenshots: [], axe: {}, dialogs: [] };

// axe-core in the page; serious and critical violations are reported (WCAG 2 A/AA rules).
async function axe(page, name) {
  await page.addScriptTag({ content: axeSource });
  const r = await page.evaluate(async () => await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }));
  results.axe[name] = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
}

async function shot(page, file) {
  const path = join(shots, file);
  await page.screenshot({ path, fullPage: true });
  results.screenshots.push(path);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
try {
  // CSP bypassed so that axe-core can be injected; it also shows that the encoding alone keeps a SAN's script inert.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  page.on('dialog', async (d) => { results.dialogs.push(d.message()); await d.dismiss(); });

  // 1. Search by the signer's email from the search box (keyboard only).
  await page.goto(base + '/');
  await page.getByLabel('Search').fill(env('EMAIL'));
  await Promise.all([page.waitForNavigation(), page.getByLabel('Search').press('Enter')]);
  results.search = { url: page.url(), title: await page.title(), rows: await page.locator('table.results tbody tr').count() };
  await shot(page, 'explorer-search.png');
  await axe(page, 'search');

  // 2. Open the Rekor entry from the results; the page checks the proof in the browser.
  await Promise.all([page.waitForNavigation(), page.locator('table.results a[href^="/logs/rekor/entries/"]').first().click()]);
  await page.waitForSelector('#verify-result.ok, #verify-result.fail', { timeout: 30000 });
  results.entry = {
    url: page.url(),
    verify: (await page.locator('#verify-result').textContent()).trim(),
    verified: await page.locator('#verify-result.ok').count() === 1,
    steps: await page.locator('#verify-steps li').allTextContents(),
    san: await page.locator('dd.san').allTextContents(),
    issuer: await page.locator('dd.issuer').allTextContents(),
    scts: await page.locator('tr.sct').count(),
    sctLinks: await page.locator('tr.sct a').count(),
  };
  await shot(page, 'explorer-entry.png');
  await axe(page, 'entry');
  const entryUrl = page.url();

  // 3. The same page, with the proof it receives tampered with (one audit path hash flipped): the check fails.
  const tampered = await context.newPage();
  await tampered.route('**/proof.json', async (route) => {
    const response = await route.fetch();
    const proof = await response.json();
    if (proof.hashes && proof.hashes.length > 0) {
      const h = proof.hashes[0];
      proof.hashes[0] = (h[0] === '0' ? '1' : '0') + h.slice(1);
    } else {
      proof.rootHash = '00' + proof.rootHash.slice(2);
    }
    await route.fulfill({ response, json: proof });
  });
  await tampered.goto(entryUrl);
  await tampered.waitForSelector('#verify-result.ok, #verify-result.fail', { timeout: 30000 });
  results.tampered = {
    verify: (await tampered.locator('#verify-result').textContent()).trim(),
    failed: await tampered.locator('#verify-result.fail').count() === 1,
  };
  await shot(tampered, 'explorer-entry-tampered.png');
  await tampered.close();

  // 4. The CT entry the SCT points to, and the log pages (chart, consistency).
  const ctLink = page.locator('tr.sct a').first();
  if (await ctLink.count() === 1) {
    await Promise.all([page.waitForNavigation(), ctLink.click()]);
    await page.waitForSelector('#verify-result.ok, #verify-result.fail', { timeout: 30000 });
    results.ct = { url: page.url(), verified: await page.locator('#verify-result.ok').count() === 1, verify: (await page.locator('#verify-result').textContent()).trim() };
    await shot(page, 'explorer-ct-entry.png');
  }
  await page.goto(base + '/logs/rekor?first=1');
  results.log = { svg: await page.locator('figure svg rect.bar').count(), consistent: (await page.locator('.consistency-result .verify').textContent()).trim() };
  await shot(page, 'explorer-log.png');
  await axe(page, 'log');

  // 5. A SAN with a script in it is shown as text and never runs.
  await page.goto(base + '/logs/rekor/entries/' + env('INJECTED_INDEX'));
  results.injection = { san: await page.locator('dd.san').allTextContents(), scripts: await page.locator('script').count() };
  await page.goto(base + '/?q=' + encodeURIComponent(env('INJECTED_EMAIL')));
  results.injection.searchText = await page.locator('table.results').textContent();
  await shot(page, 'explorer-injection.png');

  // 6. Without JavaScript the pages work (the proof check says it needs it).
  const nojs = await browser.newContext({ javaScriptEnabled: false });
  const plain = await nojs.newPage();
  await plain.goto(entryUrl);
  results.noJs = { san: await plain.locator('dd.san').allTextContents(), title: await plain.title() };
  await nojs.close();
} catch (err) {
  results.error = String(err?.stack || err);
} finally {
  await browser.close();
  writeFileSync(resultsPath, JSON.stringify(results, null, 2));
}
