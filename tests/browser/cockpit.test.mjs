// Browser tests of the knop cockpit: Playwright (playwright-core) driving Debian's chromium
// against a running `knop demo`, and axe-core on every page (WCAG 2.1 A and AA rules).
//
// Environment: KNOP_URL (the demo's base URL), CHROMIUM (default /usr/bin/chromium),
// SCREENSHOTS (directory for screenshots and the downloaded pain.001), STATEMENT (a camt.053
// file of the demo foundation's account to upload).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

const base = process.env.KNOP_URL ?? 'http://127.0.0.1:8080';
const shots = process.env.SCREENSHOTS ?? 'target/browser';
const statement = process.env.STATEMENT;
fs.mkdirSync(shots, { recursive: true });

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
});
after(async () => {
  await browser?.close();
});

/** Runs axe on the page and fails on any violation, listing them. */
async function accessible(page, name) {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const found = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  assert.deepEqual(found, [], `axe violations on ${name}`);
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

async function login(page, who) {
  await page.goto(`${base}/`);
  assert.match(page.url(), /\/inloggen$/);
  await page.locator(`form:has(input[value="${who}"]) button`).click();
}

test('a resident reads this month on a phone', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await context.newPage();
  await page.goto(`${base}/inloggen`);
  await accessible(page, '01-inloggen');
  await login(page, 'inwoner-1');
  assert.match(page.url(), /\/huishoudens\/1$/);
  await assert.doesNotReject(page.getByRole('heading', { name: 'Uw geld deze maand' }).waitFor());
  const balance = await page.locator('.card .value').first().innerText();
  assert.match(balance, /^-?€ -?[\d.]+,\d\d$/, `an amount as € 1.234,56: ${balance}`);
  assert.ok(await page.locator('svg.chart').isVisible(), 'the forecast chart');
  await accessible(page, '02-inwoner-overzicht-telefoon');
  await page.goto(`${base}/huishoudens/1/geschiedenis`);
  await assert.doesNotReject(page.getByRole('heading', { name: 'Alles wat er met uw geld gebeurde' }).waitFor());
  await accessible(page, '02c-inwoner-geschiedenis-telefoon');
  await page.goto(`${base}/huishoudens/1/schulden`);
  await assert.doesNotReject(page.getByRole('heading', { name: 'Uw schulden' }).waitFor());
  await assert.doesNotReject(page.getByText('in een betalingsregeling').first().waitFor());
  await accessible(page, '02e-inwoner-schulden-telefoon');
  await page.goto(`${base}/hulp`);
  await accessible(page, '02d-hulp-telefoon');
  await page.goto(`${base}/huishoudens/1`);
  await page.getByRole('link', { name: 'English' }).click();
  await page.goto(`${base}/huishoudens/1`);
  await assert.doesNotReject(page.getByRole('heading', { name: 'Your money this month' }).waitFor());
  await accessible(page, '03-resident-overview-english');
  await context.close();
});

test('every page of a resident reflows at 320 px without horizontal scrolling (WCAG 1.4.10)', async () => {
  const context = await browser.newContext({ viewport: { width: 320, height: 640 }, isMobile: true });
  const page = await context.newPage();
  await login(page, 'inwoner-1');
  for (const uri of ['/huishoudens/1', '/huishoudens/1/inzage', '/huishoudens/1/geschiedenis', '/huishoudens/1/schulden', '/hulp', '/inloggen']) {
    await page.goto(`${base}${uri}`);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 320, `${uri} is ${width} px wide at a 320 px viewport`);
  }
  await page.goto(`${base}/huishoudens/1`);
  await accessible(page, '02b-inwoner-overzicht-320px');
  await context.close();
});

test('a counsellor uploads a statement, matches a line and makes a run; a supervisor approves and downloads it', async () => {
  assert.ok(statement, 'STATEMENT must name a camt.053 file');
  const c = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await c.newPage();
  await login(page, 'consulent-a');
  assert.match(page.url(), /\/huishoudens$/);
  await accessible(page, '04-consulent-caseload');
  await page.fill('#zoek', 'Sanne');
  await page.getByRole('button', { name: 'Toon huishoudens' }).click();
  await assert.doesNotReject(page.getByText('1 van de').first().waitFor());
  await page.locator('table a').first().click();
  await accessible(page, '05-consulent-huishouden');
  await page.getByRole('link', { name: /Dossier/ }).click();
  await page.fill('#j-text', 'Gebeld over de huurachterstand');
  await page.getByRole('button', { name: 'Opslaan' }).click();
  await assert.doesNotReject(page.getByText('Gebeld over de huurachterstand').waitFor());
  await accessible(page, '05b-consulent-dossier');
  await page.goto(`${base}/huishoudens/1/schulden`);
  await page.fill('#s-creditor', 'CJIB');
  await page.fill('#s-ref', 'Beschikking 9911');
  await page.fill('#s-amount', '95,00');
  await page.fill('#s-date', '2026-11-02');
  await page.getByRole('button', { name: 'Vastleggen' }).last().click();
  await assert.doesNotReject(page.getByText('Vastgelegd: CJIB, € 95,00 over').waitFor());
  await accessible(page, '05c-consulent-schulden');

  await page.goto(`${base}/afschriften`);
  await accessible(page, '06-afschriften');
  await page.setInputFiles('#bestand', statement);
  await page.getByRole('button', { name: 'Inlezen en matchen' }).click();
  await assert.doesNotReject(page.locator('.alert').first().waitFor());
  const result = await page.locator('.alert').first().innerText();
  assert.match(result, /Ingelezen|al ingelezen/, result);
  await accessible(page, '07-afschrift-ingelezen');
  const before = await page.locator('main section.card').count();
  assert.ok(before > 0, 'lines wait in suspense');
  const first = page.locator('main section.card').first();
  await first.locator('select[name="household"]').selectOption('1');
  await first.getByRole('button', { name: 'Boeken' }).click();
  await page.waitForURL(`${base}/afschriften`);
  assert.equal(await page.locator('main section.card').count(), before - 1, 'the line left suspense');

  await page.goto(`${base}/betaalruns`);
  await page.selectOption('#run-h', '1');
  await page.fill('#run-d', process.env.RUN_DATE ?? '2026-12-31');
  await page.getByRole('button', { name: 'Run maken' }).click();
  await page.waitForURL(`${base}/betaalruns`);
  await assert.doesNotReject(page.getByText('wacht op goedkeuring door een tweede persoon').first().waitFor());
  assert.equal(await page.getByRole('button', { name: 'Goedkeuren' }).count(), 0, 'the maker cannot approve');
  await accessible(page, '08-betaalrun-gemaakt');
  await c.close();

  const s = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const sp = await s.newPage();
  await login(sp, 'controleur');
  await sp.goto(`${base}/betaalruns`);
  await sp.getByRole('button', { name: 'Goedkeuren' }).first().click();
  await sp.waitForURL(`${base}/betaalruns`);
  await accessible(sp, '09-betaalrun-goedgekeurd');
  const [download] = await Promise.all([
    sp.waitForEvent('download'),
    sp.getByRole('link', { name: 'Download pain.001 (.03)' }).first().click(),
  ]);
  const file = path.join(shots, 'betaalrun.pain001.xml');
  await download.saveAs(file);
  const xml = fs.readFileSync(file, 'utf8');
  assert.match(xml, /urn:iso:std:iso:20022:tech:xsd:pain\.001\.001\.03/);
  assert.match(xml, /<CstmrCdtTrfInitn>/);
  assert.match(xml, /<Cdtr>\s*<Nm>Woonstichting Mitros<\/Nm>/, 'the rent carries the landlord\'s own name');
  await s.close();
});

test('the administrator checks the ledger, books interest to the foundation and takes the caseload away', async () => {
  const c = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await c.newPage();
  await login(page, 'beheerder');
  await page.getByRole('link', { name: 'Beheer' }).click();
  await assert.doesNotReject(page.getByRole('heading', { name: 'Organisaties op het grootboek' }).waitFor());
  await accessible(page, '11-beheer');
  await page.getByRole('button', { name: 'Nu controleren' }).click();
  await assert.doesNotReject(page.getByText('Het grootboek klopt.').waitFor());
  await accessible(page, '11b-beheer-gecontroleerd');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: /Alle huishoudens als CSV/ }).click(),
  ]);
  const file = path.join(shots, 'huishoudens.csv');
  await download.saveAs(file);
  const csv = fs.readFileSync(file, 'utf8').split('\r\n');
  assert.match(csv[0], /^huishouden;consulent;actief;/);
  assert.ok(csv.length > 80, `every household: ${csv.length} lines`);
  assert.ok(!/Sanne/.test(csv.join('\n')), 'no names in the report');

  // The interest line of the uploaded statement goes to the foundation itself.
  await page.goto(`${base}/afschriften`);
  const interest = page.locator('main section.card', { has: page.locator('span.note', { hasText: /^Rente$/ }) }).first();
  await assert.doesNotReject(interest.locator('p', { hasText: 'Dit lijkt: rente van de stichting' }).waitFor());
  await accessible(page, '12-afschriften-beheerder');
  const before = await page.locator('main section.card').count();
  await interest.getByRole('button', { name: 'Boeken op de stichting' }).click();
  await page.waitForURL(`${base}/afschriften`);
  assert.equal(await page.locator('main section.card').count(), before - 1, 'the interest left suspense');
  await c.close();

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const pp = await phone.newPage();
  await login(pp, 'beheerder');
  await pp.goto(`${base}/beheer`);
  const width = await pp.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `/beheer is ${width} px wide on a phone`);
  await accessible(pp, '11c-beheer-telefoon');
  await phone.close();
});

/** The demo's BSN of household `n` (from 1): the n-th number from 999 990 000 that passes the elfproef. */
function demoBsn(n) {
  let found = 0;
  for (let b = 999990000; ; b++) {
    const d = String(b).split('').map(Number);
    const sum = d.slice(0, 8).reduce((s, x, i) => s + (9 - i) * x, 0) - d[8];
    if (sum % 11 === 0 && ++found === n) return String(b);
  }
}

test('the Rode Knop: the municipality issues, the resident shares with CJIB, CJIB checks and pauses, revocation ends it', async () => {
  const desk = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const g = await desk.newPage();
  await login(g, 'gemeente');
  assert.match(g.url(), /\/gemeente$/);
  await g.getByLabel('Huishouden (nummer)').fill('2');
  await g.getByRole('button', { name: 'Verklaring afgeven' }).click();
  await assert.doesNotReject(g.getByText(/Huishouden 2: verklaring geldig/).waitFor());
  await accessible(g, '13-gemeente-verklaringen');

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const r = await phone.newPage();
  await login(r, 'inwoner-2');
  await r.getByRole('link', { name: 'Deel met een schuldeiser' }).click();
  await assert.doesNotReject(r.getByRole('heading', { name: 'Verklaring betalingsonmacht' }).waitFor());
  assert.ok(await r.getByLabel(/^naam:/).isChecked(), 'name is ticked by default');
  assert.ok(!(await r.getByLabel(/^burgerservicenummer/).isChecked()), 'the BSN is not');
  await accessible(r, '14-inwoner-verklaring-telefoon');
  await r.getByLabel('Schuldeiser').selectOption('cjib');
  await r.getByRole('button', { name: 'Delen' }).click();
  await assert.doesNotReject(r.getByText('Gedeeld met CJIB').waitFor());
  assert.ok(await r.locator('.qr svg').isVisible(), 'a QR code to show');
  const link = (await r.locator('p.link').innerText()).trim();
  const width = await r.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the shared page is ${width} px wide on a phone`);
  await accessible(r, '14b-inwoner-gedeeld-telefoon');

  const creditorDesk = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const c = await creditorDesk.newPage();
  await login(c, 'cjib');
  assert.match(c.url(), /\/schuldeiser$/);
  await c.getByLabel('BSN').fill(demoBsn(2));
  await c.getByLabel(/Waarom vraagt u het/).fill('nieuwe boete');
  await c.getByRole('button', { name: 'Vragen' }).click();
  await assert.doesNotReject(c.getByText('Groen: in de schuldhulp.').waitFor());
  await c.getByLabel('Link van de inwoner').fill(link);
  await c.getByRole('button', { name: 'Openen en controleren' }).click();
  await assert.doesNotReject(c.getByText('Geldige verklaring betalingsonmacht').waitFor());
  assert.ok(!(await c.content()).includes(demoBsn(2)), 'the BSN was not shared');
  await accessible(c, '15-schuldeiser-verklaring');
  await c.getByRole('button', { name: /^Pauzeer/ }).first().click();
  await assert.doesNotReject(c.getByText(/^Gepauzeerd:/).waitFor());
  await accessible(c, '15b-schuldeiser-gepauzeerd');

  // The resident sees CJIB read it, and the lookup in "who looked at my data".
  await r.goto(`${base}/huishoudens/2/verklaring`);
  await assert.doesNotReject(r.locator('section.card', { hasText: 'CJIB' }).getByText(/Geopend op/).waitFor());
  await accessible(r, '14d-inwoner-gedeeld-gelezen-telefoon');
  await r.goto(`${base}/huishoudens/2/schulden`);
  await assert.doesNotReject(r.getByText(/heeft de invordering gepauzeerd/).first().waitFor());
  await accessible(r, '14c-inwoner-schulden-pauze-telefoon');

  // Revoked: CJIB's check says so.
  await g.goto(`${base}/gemeente`);
  await g.locator('tr', { has: g.locator('td', { hasText: /^2$/ }) }).getByRole('button', { name: 'Intrekken' }).click();
  await assert.doesNotReject(g.getByText(/verklaring ingetrokken/).waitFor());
  await c.goto(`${base}/schuldeiser`);
  await c.getByLabel('Link van de inwoner').fill(link);
  await c.getByRole('button', { name: 'Openen en controleren' }).click();
  await assert.doesNotReject(c.getByText(/ingetrokken/).first().waitFor());
  await accessible(c, '15c-schuldeiser-ingetrokken');
  await phone.close();
  await creditorDesk.close();
  await desk.close();
});

test('the Kindpakket: a parent shows a code on a phone, the bike shop takes EUR 89,95 on a tablet, the off-licence is refused, a payout approved by two pays the shop and the statement confirms it', async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const parent = await phone.newPage();
  await login(parent, 'inwoner-2');
  await parent.getByRole('link', { name: /Code voor de kassa/ }).click();
  await assert.doesNotReject(parent.getByRole('heading', { name: 'Kindpakket', level: 1 }).waitFor());
  const code = (await parent.locator('p.bigcode').first().innerText()).trim();
  assert.match(code, /^[A-Z2-9]{8}-\d{6}$/, `a code to type: ${code}`);
  assert.ok(await parent.locator('.qr svg').first().isVisible(), 'and to scan');
  const width = await parent.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the parent's page is ${width} px wide on a phone`);
  await accessible(parent, '16-ouder-kindpakket-telefoon');

  const tablet = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  const shop = await tablet.newPage();
  await login(shop, 'fietsenwinkel');
  assert.match(shop.url(), /\/winkel$/);
  await accessible(shop, '17-winkel-kassa-tablet');
  await shop.getByLabel(/Code van de klant/).fill(code);
  await shop.getByRole('button', { name: 'Controleren' }).click();
  await assert.doesNotReject(shop.getByText('€ 300,00').first().waitFor());
  await shop.getByLabel('Wat wordt er gekocht?').selectOption('bicycles');
  await shop.getByLabel('Bedrag in euro').fill('89,95');
  await shop.getByRole('button', { name: 'Afrekenen' }).click();
  await assert.doesNotReject(shop.getByText('Betaald: € 89,95.').waitFor());
  await assert.doesNotReject(shop.getByText('€ 210,05').first().waitFor());
  await accessible(shop, '17b-winkel-betaald-tablet');

  const tablet2 = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  const offLicence = await tablet2.newPage();
  await login(offLicence, 'slijterij');
  await offLicence.getByLabel(/Code van de klant/).fill(code);
  await offLicence.getByRole('button', { name: 'Controleren' }).click();
  await assert.doesNotReject(offLicence.getByText(/Deze winkel valt niet onder/).waitFor());
  await accessible(offLicence, '17c-slijterij-geweigerd-tablet');

  await parent.reload();
  await assert.doesNotReject(parent.getByText(/€ 89,95 bij Fietsenwinkel/).waitFor());
  await accessible(parent, '16b-ouder-besteed-telefoon');

  const desk = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const g = await desk.newPage();
  await login(g, 'gemeente');
  await g.getByRole('link', { name: 'Kindpakket' }).click();
  await assert.doesNotReject(g.getByRole('cell', { name: '€ 89,95' }).first().waitFor());
  await accessible(g, '18-gemeente-kindpakket');

  // The payout: one person makes it, a colleague approves it, the bank file pays the bike shop,
  // and the municipality's bank statement confirms it.
  await g.getByText('Uitbetaling maken', { exact: true }).first().click();
  await g.getByRole('button', { name: 'Uitbetaling maken' }).click();
  await assert.doesNotReject(g.getByText(/gemaakt \(€ 89,95\)/).waitFor());
  await assert.doesNotReject(g.getByText('U maakte deze; een collega keurt hem goed.').first().waitFor());
  await accessible(g, '18b-gemeente-uitbetaling-gemaakt');
  const desk2 = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const g2 = await desk2.newPage();
  await login(g2, 'gemeente-controle');
  await g2.goto(`${base}/gemeente/kindpakket`);
  await g2.getByRole('button', { name: 'Goedkeuren' }).first().click();
  await assert.doesNotReject(g2.getByText(/goedgekeurd: download het betaalbestand/).waitFor());
  const [download] = await Promise.all([
    g2.waitForEvent('download'),
    g2.getByRole('link', { name: /Betaalbestand voor de bank/ }).first().click(),
  ]);
  const painPath = path.join(shots, 'kindpakket-uitbetaling.xml');
  await download.saveAs(painPath);
  const pain = fs.readFileSync(painPath, 'utf8');
  assert.match(pain, /<Cdtr>\s*<Nm>Fietsen Jansen<\/Nm>/);
  assert.match(pain, /<InstdAmt Ccy="EUR">89.95<\/InstdAmt>/);
  const e2e = pain.match(/<EndToEndId>([^<]+)<\/EndToEndId>/)[1];
  const day = pain.match(/<ReqdExctnDt>([^<]+)<\/ReqdExctnDt>/)[1].slice(0, 10);
  await accessible(g2, '18c-gemeente-goedgekeurd');

  await shop.goto(`${base}/winkel`);
  await assert.doesNotReject(shop.getByText('Onderweg naar uw rekening').first().waitFor());
  await accessible(shop, '17d-winkel-uitbetaling-tablet');

  const camt = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>GEMEENTE-1</MsgId><CreDtTm>${day}T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>GEMEENTE-1</Id><Acct><Id><IBAN>NL02ABNA0123456789</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Ntry><Amt Ccy="EUR">89.95</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>${day}</Dt></BookgDt>
<AcctSvcrRef>GEMEENTE-1-1</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>${e2e}</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>`;
  await g.goto(`${base}/gemeente/kindpakket`);
  await g.getByText('Bankafschrift van de gemeente inlezen').first().click();
  await g.getByLabel('Bestand (camt.053)').first().setInputFiles({ name: 'gemeente.xml', mimeType: 'application/xml', buffer: Buffer.from(camt) });
  await g.getByRole('button', { name: 'Inlezen' }).first().click();
  await assert.doesNotReject(g.getByText(`Betaald volgens de bank: ${e2e}.`).waitFor());
  await assert.doesNotReject(g.getByText('Betaald (op het bankafschrift)').first().waitFor());
  await accessible(g, '18d-gemeente-afschrift-betaald');
  await shop.reload();
  await assert.doesNotReject(shop.getByText(/^Betaald op \d{1,2} \w+ \d{4}$/).first().waitFor());
  await accessible(shop, '17e-winkel-betaald-tablet');
  await phone.close();
  await tablet.close();
  await tablet2.close();
  await desk.close();
  await desk2.close();
});

test('a counsellor logs in through the identity provider (OpenID Connect, code flow with PKCE)', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/inloggen`);
  await page.getByRole('link', { name: /Inloggen met DigiD/ }).click();
  // The provider's own login page (oidc-provider's development interactions).
  assert.match(page.url(), /127\.0\.0\.1:\d+\/interaction\//);
  await page.fill('input[name="login"]', 'consulent-b');
  await page.fill('input[name="password"]', 'any');
  await page.locator('button[type="submit"]').first().click();
  if (/\/interaction\//.test(page.url())) {
    await page.locator('button[type="submit"]').first().click(); // consent
  }
  await page.waitForURL(`${base}/huishoudens`);
  await assert.doesNotReject(page.getByText('consulent-b').first().waitFor());
  await accessible(page, '10-ingelogd-via-oidc');
  // A subject knop does not know gets a clear refusal, not a session.
  await context.clearCookies();
  await page.goto(`${base}/inloggen`);
  await page.getByRole('link', { name: /Inloggen met DigiD/ }).click();
  await page.fill('input[name="login"]', 'onbekend');
  await page.fill('input[name="password"]', 'any');
  await page.locator('button[type="submit"]').first().click();
  if (/\/interaction\//.test(page.url())) {
    await page.locator('button[type="submit"]').first().click();
  }
  await assert.doesNotReject(page.getByText('knop kent u nog niet').waitFor());
  await context.close();
});
