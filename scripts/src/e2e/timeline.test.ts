import { status } from '@grpc/grpc-js';
import { gaugeMetric, metricsRequest } from '@rollpoint/backend/testing/scenario-data';
import { metrics } from '@rollpoint/proto';
import { CHROMIUM, requireTools } from '../testing/debian-tools.js';
import { rawExport } from '../testing/grpc.js';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SCENARIO_SCOPES, sendIncidentScenario, type IncidentScenario } from '../testing/incident-scenario.js';
import { REPO_ROOT } from '../testing/paths.js';
import { startBackendProcess, type BackendProcess } from '../testing/processes.js';

// The timeline page in headless Chromium (Debian's, driven by playwright-core) against a backend
// holding a known incident: the band, the checkpoint line and the suspect markers must sit where
// the data says on the time axis, and clicking the incident must show its story. The page is
// then saved as docs/timeline.png for the README.

// The page needs only a read token; the scenario's marker and recompute take a write token.
const TOKEN = 'timeline-test-token-0123456789';
const WRITE_TOKEN = 'timeline-test-writer-0123456789';
const SHOP_TOKEN = 'timeline-test-shop-only-0123456789';
const iso = (ms: number): string => new Date(ms).toISOString();

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

describe('the timeline page (headless Chromium)', function () {
  this.timeout(120000);
  let backend: BackendProcess;
  let scenario: IncidentScenario;
  let browser: Browser;
  let page: Page;
  let from: number;
  let to: number;

  /** The plot area of a lane: where the time axis runs from `from` to `to`. */
  const plotArea = async (lane: string): Promise<Box> => (await page.locator(`.lane[data-${lane}] .u-over`).boundingBox())!;
  /** Where moment `ms` is on a lane's time axis, in page pixels. */
  const xOf = (area: Box, ms: number): number => area.x + ((ms - from) / (to - from)) * area.width;
  const boxOf = async (selector: string): Promise<Box> => (await page.locator(selector).boundingBox())!;

  before(async function () {
    requireTools(this, CHROMIUM);
    const tokens = [
      { name: 'page', token: TOKEN, role: 'read' },
      { name: 'feeder', token: WRITE_TOKEN, role: 'write' },
      { name: 'shop-page', token: SHOP_TOKEN, role: 'read', scopes: ['shop'] },
    ];
    backend = await startBackendProcess({ apiToken: TOKEN, extra: { api: { tokens }, checkpoints: { scopes: SCENARIO_SCOPES } } });
    scenario = await sendIncidentScenario(backend, { authorization: `Bearer ${WRITE_TOKEN}` });
    // The service's memory as a metric: a default rule measures it, so its lane has a metric lane.
    const memory = gaugeMetric('system.memory.utilization', { state: 'used' }, scenario.at(10), scenario.at(40), 10_000, (t) => (t < scenario.at(30) ? 0.4 : 0.6));
    const sent = await rawExport(backend.grpcPort, metrics.grpcMethod, metrics.encode(metricsRequest({ 'service.name': 'shop-cart' }, [memory])), { authorization: `Bearer ${TOKEN}` });
    expect(sent.code, sent.details).to.equal(status.OK);
    from = scenario.at(15);
    to = scenario.at(40);
    browser = await chromium.launch({ executablePath: CHROMIUM.path, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
  });

  after(async function () {
    await browser?.close();
    await backend?.stop();
  });

  it('asks for the API token when it has none', async function () {
    await page.goto(`${backend.url}/?scope=shop`);
    await page.waitForSelector('body[data-state="token"]');
    expect(await page.isVisible('#token-form')).to.equal(true);
  });

  it('draws the incident band, the checkpoint line and the suspect markers where the data says', async function () {
    await page.goto(`${backend.url}/?${new URLSearchParams({ scope: 'shop', from: iso(from), to: iso(to), token: TOKEN })}`);
    await page.waitForSelector('body[data-state="ready"]');
    // The token left the address, and is kept for the next visit.
    expect(page.url()).not.to.include('token');
    expect(await page.locator('.lane[data-entity]').evaluateAll((lanes) => lanes.map((l) => l.getAttribute('data-entity')))).to.have.members(['shop-cart', 'shop-edge']);

    // The service's metric lane, under its lane, on the same time axis.
    const metricLane = '.lane.metric[data-metric-of="shop-cart"]';
    expect(await page.locator(metricLane).getAttribute('data-metric')).to.equal('max(system.memory.utilization{state="used"})');
    expect((await plotArea('metric-of="shop-cart"')).x).to.be.closeTo((await plotArea('entity="shop-cart"')).x, 0.5);

    const area = await plotArea('entity="shop-cart"');
    const band = await boxOf('.lane[data-entity="shop-cart"] .incident-band');
    expect(await page.locator('.lane[data-entity="shop-cart"] .incident-band').getAttribute('data-incident')).to.equal(`shop:${scenario.at(26) / 1000}`);
    expect(band.x).to.be.closeTo(xOf(area, scenario.at(26)), 1.5);
    expect(band.x + band.width).to.be.closeTo(xOf(area, scenario.at(31)), 1.5);

    // The checkpoint: the end of the last soaked window before the deploy, labelled with what to restore.
    const line = await boxOf('.lane[data-lane="changes"] .checkpoint-line');
    const changes = await plotArea('lane="changes"');
    expect(line.x + line.width / 2).to.be.closeTo(xOf(changes, scenario.at(25)), 1.5);
    // Every lane has the same time axis: the line is at the same place on the service's lane.
    expect((await boxOf('.lane[data-entity="shop-cart"] .checkpoint-line')).x).to.be.closeTo(line.x, 0.5);
    expect(changes.x).to.be.closeTo(area.x, 0.5);
    expect(changes.width).to.be.closeTo(area.width, 0.5);
    // The router's config changed only after the checkpoint: there is none of it to restore.
    expect(await page.textContent('.checkpoint-label')).to.equal(`checkpoint ${iso(scenario.at(25)).slice(11, 19)} · restore shop-cart 2.0.0`);

    // The three suspects: the marker, the deploy and the router's config change, each at its time.
    const suspects = await page.locator('.lane[data-lane="changes"] .change-marker.suspect').evaluateAll((markers) =>
      markers.map((m) => {
        const box = m.getBoundingClientRect();
        return { time: m.getAttribute('data-time')!, center: box.x + box.width / 2, title: m.getAttribute('title')! };
      }),
    );
    expect(suspects.map((s) => s.time)).to.have.members([iso(scenario.at(25, 45)), iso(scenario.at(25, 5)), iso(scenario.at(25, 30))]);
    for (const suspect of suspects) expect(suspect.center, suspect.time).to.be.closeTo(xOf(changes, Date.parse(suspect.time)), 1.5);
    // The tooltip says what changed and by whom.
    expect(suspects.find((s) => s.time === iso(scenario.at(25, 45)))!.title).to.include('feature flag new-basket on (shop-cart) · by ana');
    expect(suspects.find((s) => s.time === iso(scenario.at(25, 5)))!.title).to.include('shop-cart 2.0.0 → 2.1.0');
    // And why it is suspected: its rank, its score and the evidence, a line each.
    expect(suspects.find((s) => s.time === iso(scenario.at(25, 5)))!.title).to.match(/^SUSPECT #2 · score [\d.]+ · /).and.include('\n· on shop-cart, which went bad first\n');
    // The link flap is a device event on the router's lane, in the middle of its window.
    const flap = page.locator('.lane[data-entity="shop-edge"] .device-marker[title*="link_down"]');
    expect(await flap.getAttribute('title')).to.equal(`${iso(scenario.at(27)).slice(11, 19)} UTC: 1 × link_down, 1 × link_up`);
    const edge = await plotArea('entity="shop-edge"');
    const flapBox = (await flap.boundingBox())!;
    expect(flapBox.x).to.be.within(xOf(edge, scenario.at(27)), xOf(edge, scenario.at(28)));
  });

  it('tells the story of the incident when it is clicked', async function () {
    await page.click('.lane[data-lane="changes"] .incident-band');
    await page.waitForSelector('#details .story');
    const story = await page.textContent('#details .story');
    expect(story).to.include(`shop-cart went unhealthy at ${iso(scenario.at(26)).slice(11, 19)} (span error ratio 40 %`);
    expect(story).to.include(`Last checkpoint ${iso(scenario.at(25)).slice(11, 19)}: shop-cart 2.0.0`);
    expect(await page.locator('#details .suspects li').count()).to.equal(3);
    expect(await page.textContent('#details .suspects li:first-child')).to.include('feature flag new-basket on');
    await page.screenshot({ path: `${REPO_ROOT}docs/timeline.png` });
  });

  it('lists a window’s top error messages and slowest spans when the window is clicked', async function () {
    const area = await plotArea('entity="shop-cart"');
    // The middle of +28 on the service's lane: inside the incident, but on an entity's lane a click picks the window.
    await page.mouse.click(xOf(area, scenario.at(28, 30)), area.y + area.height / 2);
    await page.waitForSelector(`#details[data-window="${iso(scenario.at(28))}"]`);
    const cells = await page.locator('#details table').first().locator('tr').allTextContents();
    expect(cells[1]).to.equal('12payment declined: upstream timeoutshop-cart');
    expect(cells[2]).to.equal('3basket service unavailableshop-cart');
    const slowest = await page.locator('#details table').nth(1).locator('tr').nth(1).textContent();
    expect(slowest).to.match(/^900POST \/checkoutshop-cart/);
  });

  it('follows the last hour by default, with the token kept from the last visit', async function () {
    await page.goto(`${backend.url}/?scope=shop`);
    await page.waitForSelector('body[data-state="ready"]');
    expect(await page.inputValue('#range')).to.equal('3600');
    expect(await page.locator('.lane[data-lane="changes"] .incident-band').getAttribute('data-incident')).to.equal(`shop:${scenario.at(26) / 1000}`);
  });

  it('refuses bad parameters with a 400 that names them', async function () {
    const get = (path: string) => fetch(`${backend.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const bad = await get('/api/v1/timeline?scope=shop&from=yesterday');
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { message: string }).message).to.match(/^from: /);
    expect((await get(`/api/v1/timeline?from=${iso(to)}&to=${iso(from)}`)).status).to.equal(400);
    expect((await get('/api/v1/timeline/window?scope=shop')).status).to.equal(400);
    expect((await get('/api/v1/timeline?scope=nope')).status).to.equal(404);
  });

  it('with a token limited to a scope, opens on that scope and offers no other', async function () {
    await page.goto(`${backend.url}/?${new URLSearchParams({ from: iso(from), to: iso(to), token: SHOP_TOKEN })}`);
    await page.waitForSelector('body[data-state="ready"]');
    expect(await page.locator('#scope option').allTextContents()).to.deep.equal(['shop']);
    expect(await page.locator('.lane[data-entity]').evaluateAll((lanes) => lanes.map((l) => l.getAttribute('data-entity')))).to.have.members(['shop-cart', 'shop-edge']);
  });
});
