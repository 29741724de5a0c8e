// test/client.test.js -- the JavaScript client against a real ozd over
// ws:// (methods, errors, tokens, the Origin rule) and against fake
// SP-over-WebSocket servers (framing, deadlines, the retry rules of
// docs/protocol.md 7.2).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, Code, isReadOnly } from "../src/node.js";
import { fakeServer, root, startOzd } from "./lib/helpers.js";

describe("against a real ozd over ws://", () => {
	let ozd;
	let oz;
	before(async () => {
		ozd = await startOzd();
		oz = connect({ url: ozd.url, root });
	});
	after(async () => {
		oz.close();
		await ozd.stop();
	});

	test("every RPC in the server's reflection is a method, with the same read-only rule", async () => {
		const r = await oz.Reflection.listServices({});
		let n = 0;
		for (const s of r.services) {
			const short = s.name.split(".").pop();
			for (const m of s.methods) {
				const fn = m.name.charAt(0).toLowerCase() + m.name.slice(1);
				assert.equal(typeof oz[short]?.[fn], "function", `${m.full_name} has no method`);
				assert.equal(isReadOnly(m.full_name), m.idempotent, m.full_name);
				n++;
			}
		}
		assert.equal(n, oz.methods.length);
		assert.ok(n >= 16);
	});

	test("users and tasks round-trip: create, get, list, update, delete", async () => {
		const u = await oz.UserService.createUser({ username: "ann", email: "ann@example.com" });
		assert.equal(u.username, "ann");
		assert.ok(u.id > 0);
		assert.equal((await oz.UserService.getUser({ id: u.id })).email, "ann@example.com");
		const t = await oz.TaskService.createTask({ user_id: u.id, title: "write the client" });
		assert.equal(t.status, "TASK_STATUS_PENDING");
		const done = await oz.TaskService.updateTask({
			task: { id: t.id, status: "TASK_STATUS_DONE", etag: t.etag },
			update_mask: { paths: ["status"] },
		});
		assert.equal(done.status, "TASK_STATUS_DONE");
		const page = await oz.TaskService.listTasks({ user_id: { value: u.id } });
		assert.deepEqual(page.tasks.map((x) => x.title), ["write the client"]);
		assert.equal(page.total_size, 1);
		await oz.TaskService.deleteTask({ id: t.id });
		await assert.rejects(oz.TaskService.getTask({ id: t.id }), { code: Code.NOT_FOUND, codeName: "NOT_FOUND" });
	});

	test("errors carry code, codeName, message and field violations", async () => {
		await oz.UserService.createUser({ username: "bo", email: "bo@example.com" });
		await assert.rejects(oz.UserService.createUser({ username: "bo2", email: "BO@example.com" }), (e) => {
			assert.ok(e instanceof Error);
			assert.equal(e.code, Code.ALREADY_EXISTS);
			assert.equal(e.codeName, "ALREADY_EXISTS");
			assert.equal(e.message, "Email already registered");
			assert.equal(e.local, false);
			return true;
		});
		await assert.rejects(oz.UserService.createUser({ username: "", email: "nope" }), (e) => {
			assert.equal(e.code, Code.INVALID_ARGUMENT);
			assert.deepEqual(e.fieldViolations.map((v) => v.field).sort(), ["email", "username"]);
			assert.match(e.violation("email"), /email/);
			return true;
		});
	});

	test("a write is keyed: a repeat of the same request_id is answered, not run again", async () => {
		const key = "js-key-1";
		const a = await oz.UserService.createUser({ username: "cy", email: "cy@example.com", request_id: key });
		const b = await oz.UserService.createUser({ username: "cy", email: "cy@example.com", request_id: key });
		assert.equal(a.id, b.id);
	});

	test("a call to an unknown method is refused locally; an unknown one sent raw is UNIMPLEMENTED", async () => {
		await assert.rejects(oz.call("/oz.v1.UserService/Nope", {}), { code: Code.UNIMPLEMENTED, local: true });
		await assert.rejects(oz.callRaw("/oz.v1.UserService/Nope", new Uint8Array()), {
			code: Code.UNIMPLEMENTED,
			local: false,
		});
	});
});

test("a token: calls without it are UNAUTHENTICATED, with it they run; Health needs none", async () => {
	const tdir = mkdtempSync(join(tmpdir(), "oz-js-token-"));
	writeFileSync(join(tdir, "tokens"), "s3cret\n");
	const srv = await startOzd(["--auth-token-file", join(tdir, "tokens")]);
	const anon = connect({ url: srv.url, root });
	const good = connect({ url: srv.url, root, token: "s3cret" });
	try {
		await assert.rejects(anon.UserService.listUsers({}), { code: Code.UNAUTHENTICATED });
		assert.equal((await anon.Health.check({})).status, "SERVING");
		assert.equal((await good.UserService.listUsers({})).total_size, 0);
	} finally {
		anon.close();
		good.close();
		await srv.stop();
		rmSync(tdir, { recursive: true, force: true });
	}
});

describe("the Origin rule of ozd --http", () => {
	let ozd;
	before(async () => {
		ozd = await startOzd(["--ws-allowed-origin", "http://localhost:1,http://app.example"], { http: true });
	});
	after(async () => ozd.stop());

	const call = async (origin, username) => {
		const oz = connect({ url: ozd.url, root, retries: 0, timeout: 3000, wsOptions: origin ? { origin } : undefined });
		try {
			return await oz.UserService.createUser({ username, email: `${username}@example.com` });
		} finally {
			oz.close();
		}
	};

	test("no Origin (not a browser), the console's own and the allowed ones are served", async () => {
		assert.equal((await call(undefined, "plain")).username, "plain");
		assert.equal((await call(ozd.httpUrl, "own")).username, "own");
		assert.equal((await call("http://app.example", "listed")).username, "listed");
	});

	test("a foreign Origin is refused before any call runs", async () => {
		await assert.rejects(call("http://evil.example", "evil"), { code: Code.UNAVAILABLE, local: true });
		await assert.rejects(call(`http://127.0.0.1:${ozd.port + 1}`, "evil2"), { code: Code.UNAVAILABLE });
		const oz = connect({ url: ozd.url, root });
		try {
			await assert.rejects(oz.UserService.getUserByEmail({ email: "evil@example.com" }), { code: Code.NOT_FOUND });
			await assert.rejects(oz.UserService.getUserByEmail({ email: "evil2@example.com" }), { code: Code.NOT_FOUND });
		} finally {
			oz.close();
		}
		assert.match(ozd.log(), /refused a WebSocket connection from a page of a foreign origin/);
	});

	test("the console's files are served from the binary", async () => {
		const index = await fetch(`${ozd.httpUrl}/`);
		assert.equal(index.status, 200);
		assert.match(index.headers.get("content-type"), /text\/html/);
		assert.match(index.headers.get("content-security-policy"), /default-src 'self'/);
		const json = await (await fetch(`${ozd.httpUrl}/oz.json`)).json();
		assert.ok(json.nested.oz.nested.v1.nested.UserService);
		for (const f of ["client.js", "protobuf.min.js", "app.js", "style.css"]) {
			assert.equal((await fetch(`${ozd.httpUrl}/${f}`)).status, 200, f);
		}
		assert.equal((await fetch(`${ozd.httpUrl}/missing.js`)).status, 404);
	});
});

describe("framing, deadlines and retries (fake servers)", () => {
	test("SP over WebSocket: subprotocol rep.sp.nanomsg.org, request id with the high bit, late replies ignored", async () => {
		const srv = await fakeServer((req, raw) => {
			const wrong = new Uint8Array(raw.subarray(0, 4));
			wrong[3] ^= 1;
			// A reply to another id first (a late answer), then the real one.
			return { id: wrong, status: { code: Code.NOT_FOUND, message: "late" } };
		});
		const oz = connect({ url: srv.url, root, timeout: 400, retries: 0 });
		const p = oz.Health.check({});
		await assert.rejects(p, { code: Code.DEADLINE_EXCEEDED });
		assert.deepEqual(srv.protocols[0], ["rep.sp.nanomsg.org"]);
		const id = srv.requests[0].id;
		assert.ok(id[0] & 0x80, "high bit set");
		const { req } = srv.requests[0];
		assert.equal(req.method, "/grpc.health.v1.Health/Check");
		assert.ok(req.timeout_ms >= 1 && req.timeout_ms <= 400);
		assert.ok(req.metadata.some((m) => m.key === "request-id" && m.value.length > 0));
		oz.close();
		await srv.close();
	});

	test("metadata: the client's and the call's entries and the token travel", async () => {
		const srv = await fakeServer(() => ({ status: {} }));
		const oz = connect({ url: srv.url, root, token: "t0k", metadata: { tenant: "a" } });
		await oz.Health.check({}, { metadata: { "request-id": "rid-1", extra: "x" } });
		const md = Object.fromEntries(srv.requests[0].req.metadata.map((m) => [m.key, m.value]));
		assert.deepEqual(md, { tenant: "a", "request-id": "rid-1", extra: "x", authorization: "Bearer t0k" });
		oz.close();
		await srv.close();
	});

	test("no reply within the deadline is DEADLINE_EXCEEDED, and it is not retried", async () => {
		const srv = await fakeServer(() => null);
		const oz = connect({ url: srv.url, root, timeout: 300 });
		await assert.rejects(oz.UserService.getUser({ id: 1 }), { code: Code.DEADLINE_EXCEEDED, local: true });
		assert.equal(srv.requests.length, 1);
		oz.close();
		await srv.close();
	});

	const dropping = async (call, options = {}) => {
		const srv = await fakeServer(() => "close");
		const oz = connect({ url: srv.url, root, timeout: 10000, retries: 3, ...options });
		const err = await call(oz).then(() => null, (e) => e);
		oz.close();
		await srv.close();
		return { err, requests: srv.requests };
	};

	test("a read whose connection drops after sending is retried (retries + 1 attempts)", async () => {
		const { err, requests } = await dropping((oz) => oz.UserService.getUser({ id: 1 }));
		assert.equal(err.code, Code.UNAVAILABLE);
		assert.equal(requests.length, 4);
	});

	test("a keyed write is retried with the same request_id", async () => {
		const { err, requests } = await dropping((oz) => oz.UserService.createUser({ username: "a", email: "a@b.c" }));
		assert.equal(err.code, Code.UNAVAILABLE);
		assert.match(err.message, /may or may not have run/);
		assert.equal(requests.length, 4);
		const CreateUserRequest = root.lookupType("oz.v1.CreateUserRequest");
		const keys = new Set(requests.map((r) => CreateUserRequest.decode(r.req.payload).request_id));
		assert.equal(keys.size, 1);
		assert.equal([...keys][0].length, 32);
	});

	test("a write is not retried after it may have run when keyed retries are off, nor an unkeyed raw write", async () => {
		let r = await dropping((oz) => oz.UserService.createUser({ username: "a", email: "a@b.c" }), { retryKeyedWrites: false });
		assert.equal(r.requests.length, 1);
		r = await dropping((oz) => oz.callRaw("/oz.v1.UserService/CreateUser", new Uint8Array()));
		assert.equal(r.requests.length, 1);
	});

	test("a server-sent UNAVAILABLE (the call did not run) is retried even for an unkeyed write; RESOURCE_EXHAUSTED only for reads", async () => {
		let n = 0;
		const srv = await fakeServer(() => (++n < 3 ? { status: { code: Code.UNAVAILABLE, message: "draining" } } : { status: {} }));
		const oz = connect({ url: srv.url, root, timeout: 10000 });
		await oz.callRaw("/oz.v1.UserService/CreateUser", new Uint8Array());
		assert.equal(srv.requests.length, 3);
		oz.close();
		await srv.close();

		const busy = await fakeServer(() => ({ status: { code: Code.RESOURCE_EXHAUSTED, message: "busy" } }));
		const oz2 = connect({ url: busy.url, root, timeout: 10000, retries: 2 });
		await assert.rejects(oz2.UserService.listUsers({}), { code: Code.RESOURCE_EXHAUSTED });
		assert.equal(busy.requests.length, 3);
		await assert.rejects(oz2.UserService.createUser({ username: "a", email: "a@b.c" }), { code: Code.RESOURCE_EXHAUSTED });
		assert.equal(busy.requests.length, 4);
		oz2.close();
		await busy.close();
	});

	test("several endpoints: one that cannot be reached is skipped for the next", async () => {
		const srv = await fakeServer(() => ({ status: {} }));
		const oz = connect({ urls: ["ws://127.0.0.1:1/rpc", srv.url], root, timeout: 5000 });
		assert.deepEqual(await oz.Health.check({}), { status: "UNKNOWN" });
		assert.equal(srv.requests.length, 1);
		oz.close();
		await srv.close();
	});

	test("nothing listening is UNAVAILABLE; a request over the size limit is refused unsent", async () => {
		const oz = connect({ url: "ws://127.0.0.1:1/rpc", root, timeout: 3000, retries: 1 });
		await assert.rejects(oz.Health.check({}), { code: Code.UNAVAILABLE, local: true });
		assert.equal(oz.attempts, 0);
		oz.close();
		const srv = await fakeServer(() => ({ status: {} }));
		const small = connect({ url: srv.url, root, maxMessageBytes: 64 });
		await assert.rejects(small.UserService.createUser({ username: "x".repeat(100), email: "a@b.c" }), {
			code: Code.RESOURCE_EXHAUSTED,
			local: true,
		});
		assert.equal(srv.requests.length, 0);
		small.close();
		await srv.close();
	});
});
