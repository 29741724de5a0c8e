// test-browser/console.test.js -- the web console in headless Chromium
// (Debian's chromium, driven by puppeteer-core) against a real ozd --http:
// forms, field errors, paging, editing, live charts, the method explorer,
// the token prompt, and that a page of another origin cannot call ozd.
// Writes a screenshot of each page to $OZ_SCREENSHOTS (default
// build/screenshots).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";
import { connect, Code } from "../src/node.js";
import { root, startOzd } from "../test/lib/helpers.js";

const SHOTS = process.env.OZ_SCREENSHOTS ?? join(process.cwd(), "..", "..", "build", "screenshots");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const WAIT = { timeout: 30000 }; // A bound on each wait, not a performance target.

let ozd, oz, browser, profile;

async function launch() {
	profile = mkdtempSync(join(tmpdir(), "oz-chromium-"));
	return puppeteer.launch({
		executablePath: CHROMIUM,
		headless: true,
		userDataDir: profile,
		args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--disable-dev-shm-usage"],
	});
}

async function newPage(width = 1280, height = 860) {
	const page = await browser.newPage();
	await page.setViewport({ width, height, deviceScaleFactor: 1 });
	page.on("pageerror", (e) => console.error("page error:", e.message));
	return page;
}

async function shot(page, name) {
	mkdirSync(SHOTS, { recursive: true });
	await page.$eval("#toast", (t) => (t.hidden = true));
	await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

// Fills the dialog's form fields by name and submits it.
async function fillForm(page, values) {
	await page.waitForSelector("dialog[open] form", WAIT);
	for (const [name, value] of Object.entries(values)) {
		const sel = `dialog[open] [name="${name}"]`;
		const tag = await page.$eval(sel, (e) => e.tagName);
		if (tag === "SELECT") await page.select(sel, value);
		else {
			await page.$eval(sel, (e) => (e.value = ""));
			await page.type(sel, String(value));
		}
	}
	await page.click('dialog[open] button[type="submit"]');
}

const rowTexts = (page, table) => page.$$eval(`#${table} tbody tr`, (rows) => rows.map((r) => r.textContent));

before(async () => {
	ozd = await startOzd([], { http: true });
	oz = connect({ url: ozd.url, root });
	browser = await launch();
});

after(async () => {
	await browser?.close();
	rmSync(profile, { recursive: true, force: true });
	oz?.close();
	await ozd?.stop();
});

describe("the console in Chromium", () => {
	test("creates a user through the form and sees it in the list", async () => {
		for (const name of ["barbara", "edsger", "ken", "margaret"]) {
			const u = await oz.UserService.createUser({ username: name, email: `${name}@example.com` });
			if (name === "ken") await oz.UserService.updateUser({ user: { id: u.id, is_active: false }, update_mask: { paths: ["is_active"] } });
		}
		const page = await newPage();
		await page.goto(`${ozd.httpUrl}/#/users`);
		await page.waitForSelector("#users-table tbody tr", WAIT);
		for (const [u, e] of [["ada", "ada@example.com"], ["grace", "grace@example.com"], ["linus", "linus@example.com"]]) {
			await page.click("#new-user");
			await fillForm(page, { username: u, email: e });
			await page.waitForFunction((name) => [...document.querySelectorAll("#users-table tbody tr")].some((r) => r.textContent.includes(name)), WAIT, u);
		}
		const rows = await rowTexts(page, "users-table");
		assert.ok(rows.some((r) => r.includes("ada") && r.includes("ada@example.com")));
		assert.equal((await oz.UserService.getUserByEmail({ email: "grace@example.com" })).username, "grace");
		await shot(page, "console-users");
		await page.setViewport({ width: 390, height: 844 });
		await shot(page, "console-users-phone");
		await page.close();
	});

	test('a taken email gets "Email already registered" beside the email field', async () => {
		const page = await newPage();
		await page.goto(`${ozd.httpUrl}/#/users`);
		await page.waitForSelector("#users-table tbody tr[data-id]", WAIT);
		await page.click("#new-user");
		await fillForm(page, { username: "ada2", email: "ADA@example.com" });
		await page.waitForFunction(() => document.querySelector('.field-error[data-for="email"]')?.textContent !== "", WAIT);
		assert.equal(await page.$eval('.field-error[data-for="email"]', (e) => e.textContent), "Email already registered");
		assert.equal(await page.$eval('.field-error[data-for="username"]', (e) => e.textContent), "");
		assert.ok(await page.$eval('[data-field="email"]', (e) => e.classList.contains("invalid")));
		await shot(page, "console-user-form-error");
		// Field violations of INVALID_ARGUMENT land beside their fields too.
		await fillForm(page, { username: "", email: "not-an-email" });
		await page.waitForFunction(() => document.querySelector('.field-error[data-for="username"]')?.textContent !== "", WAIT);
		assert.match(await page.$eval('.field-error[data-for="email"]', (e) => e.textContent), /email/);
		await page.close();
	});

	test("pages through 100 tasks and edits a task's status", async () => {
		const u = await oz.UserService.createUser({ username: "pager", email: "pager@example.com" });
		for (let i = 1; i <= 100; i++) await oz.TaskService.createTask({ user_id: u.id, title: `task ${String(i).padStart(3, "0")}` });
		const page = await newPage();
		await page.goto(`${ozd.httpUrl}/#/tasks`);
		await page.waitForFunction(() => document.querySelector("#tasks-table .pager-text")?.textContent.includes("of 100"), WAIT);
		const seen = new Set();
		for (let p = 1; p <= 4; p++) {
			await page.waitForFunction((n) => document.querySelector("#tasks-table .pager-text").textContent.includes(`page ${n} of 4`), WAIT, p);
			for (const id of await page.$$eval("#tasks-table tbody tr[data-id]", (rs) => rs.map((r) => r.dataset.id))) seen.add(id);
			if (p === 2) await shot(page, "console-tasks");
			if (p < 4) await page.click('#tasks-table button[data-action="next"]');
		}
		assert.equal(seen.size, 100);
		assert.ok(await page.$eval('#tasks-table button[data-action="next"]', (b) => b.disabled));
		assert.match(await page.$eval("#tasks-table .pager-text", (e) => e.textContent), /^76–100 of 100/);
		// Sorting by title descending puts task 100 first.
		await page.click('#tasks-table th[data-sort="title"]');
		await page.click('#tasks-table th[data-sort="title"]');
		await page.waitForFunction(() => document.querySelector("#tasks-table tbody tr")?.textContent.includes("task 100"), WAIT);
		// Edit the first row's status.
		const id = await page.$eval("#tasks-table tbody tr[data-id]", (r) => r.dataset.id);
		await page.click(`#tasks-table tr[data-id="${id}"] button[data-action="edit"]`);
		await fillForm(page, { status: "TASK_STATUS_DONE" });
		await page.waitForFunction((tid) => document.querySelector(`#tasks-table tr[data-id="${tid}"]`)?.textContent.includes("Done"), WAIT, id);
		assert.equal((await oz.TaskService.getTask({ id: Number(id) })).status, "TASK_STATUS_DONE");
		// The user's page lists their tasks.
		await page.goto(`${ozd.httpUrl}/#/users/${u.id}`);
		await page.waitForFunction(() => document.querySelector("#user-tasks .pager-text")?.textContent.includes("of 100"), WAIT);
		await shot(page, "console-user");
		await page.close();
	});

	test("the stats charts move while a load runs", async () => {
		const page = await newPage();
		await page.goto(`${ozd.httpUrl}/#/stats`);
		await page.waitForFunction(() => Number(document.querySelector("#chart-calls")?.dataset.points) >= 2, WAIT);
		const before = await page.$eval("#chart-calls", (s) => ({ calls: Number(s.dataset.calls), path: s.querySelector("path.series")?.getAttribute("d") }));
		// Six rounds of 100 calls (one in ten NOT_FOUND), each after the
		// page has drawn a new sample, so the charts show the load's shape.
		const LOAD = 600;
		for (let round = 0; round < 6; round++) {
			const points = await page.$eval("#chart-calls", (s) => Number(s.dataset.points));
			await page.waitForFunction((n) => Number(document.querySelector("#chart-calls").dataset.points) > n, WAIT, points);
			const calls = [];
			for (let i = 0; i < 100; i++) {
				calls.push(i % 10 === 0
					? oz.UserService.getUser({ id: 999999 }).then(() => assert.fail("found"), (e) => assert.equal(e.code, Code.NOT_FOUND))
					: oz.UserService.listUsers({ page_size: 5 }));
				if (calls.length === 10) await Promise.all(calls.splice(0));
			}
		}
		await page.waitForFunction((min) => Number(document.querySelector("#chart-calls").dataset.calls) >= min, WAIT, before.calls + LOAD);
		await page.waitForFunction(() => Number(document.querySelector("#chart-errors").dataset.sum) > 0, WAIT);
		const afterLoad = await page.$eval("#chart-calls", (s) => s.querySelector("path.series").getAttribute("d"));
		assert.notEqual(afterLoad, before.path);
		assert.ok(Number(await page.$eval("#chart-latency", (s) => s.dataset.max)) > 0);
		assert.ok(Number(await page.$eval("#chart-size", (s) => s.dataset.max)) > 0);
		assert.match(await page.$eval("#methods-table", (t) => t.textContent), /ListUsers/);
		assert.match(await page.$eval("#chart-errors + .legend", (e) => e.textContent), /NOT_FOUND/);
		await shot(page, "console-stats");
		await page.setViewport({ width: 390, height: 844 });
		// Redrawn at the phone's width (the charts follow their element's width).
		await page.waitForFunction(() => {
			const s = document.querySelector("#chart-calls");
			return s.getBoundingClientRect().width < 390 && Math.abs(s.viewBox.baseVal.width - s.getBoundingClientRect().width) < 2;
		}, WAIT);
		await shot(page, "console-stats-phone");
		await page.close();
	});

	test("the method explorer calls a method picked from Reflection and shows status, details and payload", async () => {
		const page = await newPage();
		await page.goto(`${ozd.httpUrl}/#/explorer`);
		await page.waitForSelector('[data-method="/oz.v1.UserService/ListUsers"]', WAIT);
		await page.click('[data-method="/oz.v1.UserService/ListUsers"]');
		await page.$eval("#request-json", (t) => (t.value = JSON.stringify({ page_size: 2, order_by: "username" })));
		await page.click("#call-button");
		await page.waitForSelector("#payload", WAIT);
		const payload = JSON.parse(await page.$eval("#payload", (e) => e.textContent));
		assert.equal(payload.users.length, 2);
		assert.equal(payload.users[0].username, "ada");
		await page.click('[data-method="/oz.v1.UserService/CreateUser"]');
		await page.click("#call-button");
		await page.waitForSelector("#details", WAIT);
		assert.match(await page.$eval("#call-status", (e) => e.textContent), /INVALID_ARGUMENT/);
		assert.match(await page.$eval("#details", (e) => e.textContent), /username/);
		await shot(page, "console-explorer");
		await page.close();
	});

	test("a page served from another origin cannot call ozd; the console's origin can", async () => {
		// One CreateUser call as SP-over-WebSocket bytes: request id, then
		// the oz.rpc.v1.Request.
		const CreateUser = root.lookupType("oz.v1.CreateUserRequest");
		const Request = root.lookupType("oz.rpc.v1.Request");
		const req = Request.encode({ method: "/oz.v1.UserService/CreateUser", payload: CreateUser.encode({ username: "mallory", email: "mallory@example.com" }).finish(), timeout_ms: 5000 }).finish();
		const bytes = [0x80, 0, 0, 1, ...req];
		const probe = `(bytes, url) => new Promise((resolve) => {
			const ws = new WebSocket(url, "rep.sp.nanomsg.org");
			ws.binaryType = "arraybuffer";
			let opened = false;
			ws.onopen = () => { opened = true; ws.send(new Uint8Array(bytes)); };
			ws.onmessage = (ev) => resolve({ opened, reply: new Uint8Array(ev.data).length });
			ws.onclose = () => resolve({ opened, reply: 0 });
			setTimeout(() => resolve({ opened, reply: -1 }), 8000);
		})`;
		const evil = createServer((_, res) => {
			res.writeHead(200, { "content-type": "text/html" });
			res.end("<!doctype html><title>another site</title><h1>another site</h1>");
		});
		await new Promise((r) => evil.listen(0, "127.0.0.1", r));
		const page = await newPage();
		try {
			await page.goto(`http://127.0.0.1:${evil.address().port}/`);
			const got = await page.evaluate(`(${probe})(${JSON.stringify(bytes)}, ${JSON.stringify(ozd.url)})`);
			assert.equal(got.reply, 0, "the foreign page got a reply");
			await assert.rejects(oz.UserService.getUserByEmail({ email: "mallory@example.com" }), { code: Code.NOT_FOUND });
			assert.match(ozd.log(), /refused a WebSocket connection from a page of a foreign origin/);
			// The same bytes from the console's own origin are served.
			await page.goto(`${ozd.httpUrl}/#/users`);
			const own = await page.evaluate(`(${probe})(${JSON.stringify(bytes)}, ${JSON.stringify(ozd.url)})`);
			assert.ok(own.reply > 4, "the console's origin got no reply");
			assert.equal((await oz.UserService.getUserByEmail({ email: "mallory@example.com" })).username, "mallory");
		} finally {
			await page.close();
			evil.closeAllConnections();
			await new Promise((r) => evil.close(r));
		}
	});
});

test("with --auth-token-file the console asks for a token and keeps it in sessionStorage only", async () => {
	const dir = mkdtempSync(join(tmpdir(), "oz-token-"));
	writeFileSync(join(dir, "tokens"), "console-secret\n");
	const srv = await startOzd(["--auth-token-file", join(dir, "tokens")], { http: true });
	const page = await newPage();
	try {
		await page.goto(`${srv.httpUrl}/#/users`);
		await page.waitForSelector('dialog[open] input[name="token"]', WAIT);
		await shot(page, "console-token");
		await page.type('dialog[open] input[name="token"]', "wrong");
		await page.click('dialog[open] button[type="submit"]');
		await page.waitForFunction(() => document.querySelector("dialog[open] .form-error")?.textContent.includes("not accepted"), WAIT);
		await page.$eval('dialog[open] input[name="token"]', (e) => (e.value = ""));
		await page.type('dialog[open] input[name="token"]', "console-secret");
		await page.click('dialog[open] button[type="submit"]');
		await page.waitForFunction(() => document.querySelector("#users-table .pager-text")?.textContent.includes("of 0"), WAIT);
		const stored = await page.evaluate(() => [sessionStorage.getItem("oz.console.token"), localStorage.getItem("oz.console.token")]);
		assert.deepEqual(stored, ["console-secret", null]);
	} finally {
		await page.close();
		await srv.stop();
		rmSync(dir, { recursive: true, force: true });
	}
});
