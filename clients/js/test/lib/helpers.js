// test/helpers.js -- shared by the node tests: start a real ozd on random
// loopback ports with a fresh database, and fake SP-over-WebSocket servers
// for the cases a real ozd cannot be made to show (no reply, a dropped
// connection, a chosen status).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocketServer } from "ws";
import { loadProtoRoot, PROTO_DIR } from "../../src/node.js";

const here = dirname(fileURLToPath(import.meta.url));
export const OZD = process.env.OZD ?? join(here, "..", "..", "..", "..", "build", "ozd");
export const root = loadProtoRoot(PROTO_DIR);

// A port in 20000-31999 (below the ephemeral range, as tests/e2e/lib/ops.sh).
export function randomPort() {
	return 20000 + Math.floor(Math.random() * 12000);
}

// Starts ozd with args (plus --listen ws://127.0.0.1:P/rpc unless
// opts.http, then --http 127.0.0.1:P and a tcp listener on another port).
// Resolves {url, httpUrl, port, dir, log(), stop()} once it logs
// "serving"; a taken port is retried with another.
export async function startOzd(args = [], opts = {}) {
	for (let attempt = 0; attempt < 5; attempt++) {
		const dir = mkdtempSync(join(tmpdir(), "oz-js-"));
		const port = randomPort();
		const listen = opts.http
			? ["--http", `127.0.0.1:${port}`, "--listen", `tcp://127.0.0.1:${randomPort()}`]
			: ["--listen", `ws://127.0.0.1:${port}/rpc`];
		const child = spawn(OZD, [...listen, "--database-url", `sqlite:///${join(dir, "oz.db")}`, ...args], {
			stdio: ["ignore", "ignore", "pipe"],
		});
		let log = "";
		child.stderr.on("data", (d) => (log += d));
		const ok = await new Promise((resolve) => {
			const timer = setTimeout(() => resolve(false), 10000);
			child.stderr.on("data", () => {
				if (/ serving\n/.test(log)) {
					clearTimeout(timer);
					resolve(true);
				}
			});
			child.on("exit", () => {
				clearTimeout(timer);
				resolve(false);
			});
		});
		if (!ok) {
			child.kill("SIGKILL");
			rmSync(dir, { recursive: true, force: true });
			if (/in use/i.test(log)) continue;
			throw new Error(`ozd did not start:\n${log}`);
		}
		return {
			port,
			dir,
			url: `ws://127.0.0.1:${port}/rpc`,
			httpUrl: `http://127.0.0.1:${port}`,
			log: () => log,
			stop: () =>
				new Promise((resolve, reject) => {
					child.on("exit", (code) => {
						rmSync(dir, { recursive: true, force: true });
						code === 0 ? resolve() : reject(new Error(`ozd exited ${code}:\n${log}`));
					});
					child.kill("SIGTERM");
				}),
		};
	}
	throw new Error("ozd did not start on 5 ports");
}

// A fake rep0 server over WebSocket. onRequest(req, raw, ws) gets each
// decoded oz.rpc.v1.Request (and the raw message) and returns what to do:
// {status: {code, message}} or {payload} to reply, "close" to drop the
// connection, null to stay silent. Resolves {url, requests, close()}.
export async function fakeServer(onRequest) {
	const Request = root.lookupType("oz.rpc.v1.Request");
	const Response = root.lookupType("oz.rpc.v1.Response");
	const requests = [];
	const protocols = [];
	const wss = new WebSocketServer({
		host: "127.0.0.1",
		port: 0,
		handleProtocols: (set) => {
			protocols.push([...set]);
			return set.has("rep.sp.nanomsg.org") ? "rep.sp.nanomsg.org" : false;
		},
	});
	await new Promise((resolve) => wss.on("listening", resolve));
	wss.on("connection", (ws) => {
		ws.on("message", (data) => {
			const buf = new Uint8Array(data);
			const req = Request.decode(buf.subarray(4));
			requests.push({ id: buf.subarray(0, 4), req });
			const what = onRequest(req, buf, ws);
			if (what === "close") {
				ws.terminate();
			} else if (what) {
				const body = Response.encode(Response.create(what)).finish();
				const reply = new Uint8Array(4 + body.length);
				reply.set(what.id ?? buf.subarray(0, 4));
				reply.set(body, 4);
				ws.send(reply);
			}
		});
	});
	return {
		url: `ws://127.0.0.1:${wss.address().port}/rpc`,
		requests,
		protocols,
		close: () =>
			new Promise((resolve) => {
				for (const c of wss.clients) c.terminate();
				wss.close(resolve);
			}),
	};
}
