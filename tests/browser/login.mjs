// Drives the identity provider's login page in headless Chromium (Debian's /usr/bin/chromium) with playwright-core.
// Usage: node login.mjs <results.json>
// Environment: IDENTITY_URL (http://127.0.0.1:port), AUTHORIZE_PATH (/connect/authorize?... with a PKCE challenge),
// CALLBACK_PREFIX (the client's loopback redirect URI, where the test listens), USERNAME, PASSWORD, SCREENSHOT_DIR, CHROMIUM (optional path).
// Writes {wrongPassword: {status, alert, url}, consent: {title, client, scopes}, callbackUrl, screenshots: [...], labels: {...}}
// to results.json.
import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [resultsPath] = process.argv.slice(2);
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env('IDENTITY_URL');
const callbackPrefix = env('CALLBACK_PREFIX');
const shots = env('SCREENSHOT_DIR');
const results = { screenshots: [] };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // Root in containers: Chromium's sandbox needs user namespaces it may not have.
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
try {
  const context = await browser.newContext({ javaScriptEnabled: false }); // the pages must work without JavaScript
  const page = await context.newPage();
  // 1. The authorization request sends an unauthenticated browser to the login page.
  await page.goto(base + env('AUTHORIZE_PATH'));
  results.loginUrl = page.url();
  results.title = await page.title();
  // Fields are found by their visible labels, as a screen reader announces them.
  const username = page.getByLabel('Username');
  const password = page.getByLabel('Password');
  results.labels = { username: await username.count(), password: await password.count() };

  // 2. A wrong password shows an error and stays on the login page.
  await username.fill(env('USERNAME'));
  await password.fill('definitely not the password');
  const [wrong] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
  results.wrongPassword = { status: wrong?.status(), alert: (await page.getByRole('alert').textContent())?.trim(), url: page.url() };
  const wrongShot = join(shots, 'identity-login-wrong-password.png');
  await page.screenshot({ path: wrongShot, fullPage: true });
  results.screenshots.push(wrongShot);

  // 3. The right password signs in and the consent page names the client and the scopes it asks for.
  await page.getByLabel('Password').fill(env('PASSWORD'));
  const beforeShot = join(shots, 'identity-login-filled.png');
  await page.screenshot({ path: beforeShot, fullPage: true });
  results.screenshots.push(beforeShot);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
  results.consent = {
    title: await page.title(),
    client: (await page.locator('#client').textContent())?.trim(),
    scopes: await page.locator('#scopes li').allTextContents(),
  };
  const consentShot = join(shots, 'identity-consent.png');
  await page.screenshot({ path: consentShot, fullPage: true });
  results.screenshots.push(consentShot);

  // 4. Allow sends the browser back to the client with a code.
  await Promise.all([page.waitForURL(`${callbackPrefix}**`), page.getByRole('button', { name: 'Allow' }).click()]);
  results.callbackUrl = page.url();
  const doneShot = join(shots, 'identity-login-callback.png');
  await page.screenshot({ path: doneShot, fullPage: true });
  results.screenshots.push(doneShot);
} catch (err) {
  results.error = String(err?.stack || err);
} finally {
  await browser.close();
  writeFileSync(resultsPath, JSON.stringify(results, null, 2));
}
