// src/client.js -- the oz client core, for Node.js and browsers alike: SP
// req0 over WebSocket (docs/protocol.md 2.5: subprotocol
// rep.sp.nanomsg.org, one binary message per SP message, a 4-byte request
// id in front), the oz.rpc.v1 envelope, deadlines, metadata and the retry
// rules of docs/protocol.md 7.2 (the C and Python clients' rules).
//
// It imports nothing: the caller hands it a protobufjs Root holding
// proto/ (src/node.js loads it from the .proto files; the console from the
// JSON bundle ozd serves) and a WebSocket class (the `ws` package in Node,
// the browser's own). Methods are derived from the Root's services, so a new
// RPC in proto/ is a new method here with no code change.

export const Code = Object.freeze({
	OK: 0,
	CANCELLED: 1,
	UNKNOWN: 2,
	INVALID_ARGUMENT: 3,
	DEADLINE_EXCEEDED: 4,
	NOT_FOUND: 5,
	ALREADY_EXISTS: 6,
	PERMISSION_DENIED: 7,
	RESOURCE_EXHAUSTED: 8,
	FAILED_PRECONDITION: 9,
	ABORTED: 10,
	OUT_OF_RANGE: 11,
	UNIMPLEMENTED: 12,
	INTERNAL: 13,
	UNAVAILABLE: 14,
	DATA_LOSS: 15,
	UNAUTHENTICATED: 16,
});

const CODE_NAMES = Object.fromEntries(
	Object.entries(Code).map(([name, n]) => [n, name]),
);

export function codeName(code) {
	return CODE_NAMES[code] ?? `CODE_${code}`;
}

// A failed call: code (a number of Code), codeName, message,
// fieldViolations ([{field, description}]), method, and local (true when
// the client made the status up: no reply, deadline, refused locally).
export class OzError extends Error {
	constructor(code, message, { fieldViolations = [], method = "", local = false } = {}) {
		super(message);
		this.name = "OzError";
		this.code = code;
		this.codeName = codeName(code);
		this.fieldViolations = fieldViolations;
		this.method = method;
		this.local = local;
	}

	// The description of field's violation, or undefined.
	violation(field) {
		return this.fieldViolations.find((v) => v.field === field)?.description;
	}
}

export const SUBPROTOCOL = "rep.sp.nanomsg.org";
export const DEFAULT_MAX_MESSAGE_BYTES = 4 << 20;
const HIGH_BIT = 0x80000000;

// Read-only methods whose names do not say so: Stats, and Query (proven
// read-only by the server). Backup only reads the database but creates a
// file: not safe to repeat.
const READ_ONLY = new Set(["/oz.v1.AdminService/Stats", "/oz.v1.AdminService/Query"]);

// True for methods that change nothing: Get*, List*, health, reflection,
// AdminService Stats and Query (the same rule as ozclient.is_read_only; a test
// checks it against MethodInfo.idempotent from the server's reflection).
export function isReadOnly(method) {
	const slash = method.lastIndexOf("/");
	const service = method.slice(0, slash);
	const name = method.slice(slash + 1);
	return (
		name.startsWith("Get") ||
		name.startsWith("List") ||
		READ_ONLY.has(method) ||
		service === "/grpc.health.v1.Health" ||
		service === "/oz.rpc.v1.Reflection"
	);
}

// Whether a failed attempt may be sent again (docs/protocol.md 7.2, and
// may_retry in clients/c/client.c): UNAVAILABLE when the server cannot
// have run the call, or for reads, or for writes carrying a request_id the
// server deduplicates; RESOURCE_EXHAUSTED (overload) for reads only.
export function mayRetry(code, maybeRan, read, hasKey, retryKeyedWrites = true) {
	if (code === Code.UNAVAILABLE) {
		return !maybeRan || read || (hasKey && retryKeyedWrites);
	}
	return code === Code.RESOURCE_EXHAUSTED && read;
}

function randomHex(bytes) {
	const b = new Uint8Array(bytes);
	globalThis.crypto.getRandomValues(b);
	return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function lowerFirst(s) {
	return s.charAt(0).toLowerCase() + s.slice(1);
}

function sleep(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

// One failed attempt: the error and whether the request may have run.
class Attempt extends Error {
	constructor(error, maybeRan) {
		super(error.message);
		this.error = error;
		this.maybeRan = maybeRan;
	}
}

// One WebSocket to one URL, shared by every call: requests are matched to
// replies by their SP request id, so many calls may be outstanding.
class Connection {
	constructor(url, WebSocketImpl, wsOptions) {
		this.url = url;
		this.pending = new Map(); // request id -> {resolve, reject}
		this.closed = false;
		this.opened = new Promise((resolve, reject) => {
			let ws;
			try {
				ws = wsOptions
					? new WebSocketImpl(url, SUBPROTOCOL, wsOptions)
					: new WebSocketImpl(url, SUBPROTOCOL);
			} catch (e) {
				this.closed = true;
				reject(e);
				return;
			}
			this.ws = ws;
			ws.binaryType = "arraybuffer";
			ws.onopen = () => resolve();
			ws.onmessage = (ev) => this.onMessage(ev.data);
			ws.onerror = () => {};
			ws.onclose = (ev) => {
				this.closed = true;
				reject(new Error(`cannot connect to ${url} (code ${ev.code})`));
				this.failAll(`connection to ${url} closed (code ${ev.code})`);
			};
		});
		this.opened.catch(() => {});
	}

	onMessage(data) {
		const buf = new Uint8Array(data);
		if (buf.length < 4) return;
		const id = ((buf[0] << 24) | (buf[1] << 16) | (buf[2] << 8) | buf[3]) >>> 0;
		const p = this.pending.get(id);
		if (p === undefined) return; // A late reply to a call given up on.
		this.pending.delete(id);
		p.resolve(buf.subarray(4));
	}

	failAll(text) {
		for (const p of this.pending.values()) p.reject(new Error(text));
		this.pending.clear();
	}

	// Sends id + body; resolves with the reply's body. Rejects with
	// {sent: false} when nothing was written.
	request(id, body) {
		return new Promise((resolve, reject) => {
			if (this.closed) {
				reject(Object.assign(new Error(`connection to ${this.url} is closed`), { sent: false }));
				return;
			}
			const msg = new Uint8Array(4 + body.length);
			new DataView(msg.buffer).setUint32(0, id);
			msg.set(body, 4);
			this.pending.set(id, {
				resolve,
				reject: (e) => reject(Object.assign(e, { sent: true })),
			});
			try {
				this.ws.send(msg);
			} catch (e) {
				this.pending.delete(id);
				reject(Object.assign(e, { sent: false }));
			}
		});
	}

	forget(id) {
		this.pending.delete(id);
	}

	close() {
		this.closed = true;
		this.failAll("client closed");
		try {
			this.ws?.close();
		} catch {
			/* Already closed. */
		}
	}
}

// Every service of root as [{fullName, service, name, requestType,
// responseType, readOnly}], in the Root's order.
export function describeMethods(root) {
	const out = [];
	const walk = (ns) => {
		for (const obj of ns.nestedArray ?? []) {
			if (obj.methods !== undefined && obj.resolveAll !== undefined && obj.methodsArray) {
				const service = obj.fullName.slice(1);
				for (const m of obj.methodsArray) {
					m.resolve();
					const fullName = `/${service}/${m.name}`;
					out.push({
						fullName,
						service,
						serviceName: obj.name,
						name: m.name,
						requestType: m.resolvedRequestType,
						responseType: m.resolvedResponseType,
						readOnly: isReadOnly(fullName),
					});
				}
			}
			if (obj.nestedArray) walk(obj);
		}
	};
	walk(root);
	return out;
}

const DEFAULT_TO_OBJECT = { longs: Number, enums: String, defaults: true, arrays: true };

// An oz client. options:
//   url            "ws://host:port/path", or urls: [...] tried in turn
//   root           protobufjs Root with proto/ (required)
//   WebSocket      a WebSocket class (default globalThis.WebSocket)
//   timeout        default deadline of a call in ms (5000), covering retries
//   token          sent as "authorization: Bearer TOKEN"
//   metadata       {key: value} sent on every call
//   retries        how many times a retryable call may be re-sent (3)
//   retryKeyedWrites  re-send writes carrying a request_id (true)
//   maxMessageBytes   refuse locally to send more (4 MiB)
//   wsOptions      third argument of the WebSocket constructor (Node's ws)
//   toObject       protobufjs toObject options for replies
export class Client {
	constructor(options) {
		const o = options ?? {};
		if (!o.root) throw new TypeError("Client needs options.root (a protobufjs Root)");
		this.urls = o.urls ?? [o.url ?? "ws://127.0.0.1:7880/rpc"];
		this.root = o.root;
		this.WebSocket = o.WebSocket ?? globalThis.WebSocket;
		this.timeout = o.timeout ?? 5000;
		this.token = o.token ?? "";
		this.metadata = { ...(o.metadata ?? {}) };
		this.retries = o.retries ?? 3;
		this.retryKeyedWrites = o.retryKeyedWrites ?? true;
		this.maxMessageBytes = o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
		this.wsOptions = o.wsOptions;
		this.toObjectOptions = { ...DEFAULT_TO_OBJECT, ...(o.toObject ?? {}) };
		this.attempts = 0; // Attempts sent (for tests and the console).
		this.conn = null;
		this.urlIndex = 0;
		this.nextId = Math.floor(Math.random() * 0x7fffffff);
		this.Request = this.root.lookupType("oz.rpc.v1.Request");
		this.Response = this.root.lookupType("oz.rpc.v1.Response");
		this.methods = describeMethods(this.root);
		this.byName = new Map(this.methods.map((m) => [m.fullName, m]));
		for (const m of this.methods) {
			const svc = (this[m.serviceName] ??= {});
			svc[lowerFirst(m.name)] = (req, opts) => this.call(m.fullName, req, opts);
		}
	}

	// Calls method (full name, e.g. "/oz.v1.UserService/GetUser") with req
	// (a plain object or a message of the input type). Resolves with the
	// reply as a plain object; rejects with OzError. opts: timeout (ms),
	// metadata ({key: value}), raw (resolve with the decoded message).
	async call(method, req, opts = {}) {
		const m = this.byName.get(method);
		if (m === undefined) {
			throw new OzError(Code.UNIMPLEMENTED, `unknown method ${method}`, { method, local: true });
		}
		let msg;
		try {
			msg = m.requestType.fromObject(req ?? {});
		} catch (e) {
			throw new OzError(Code.INVALID_ARGUMENT, `bad ${m.requestType.name}: ${e.message}`, { method, local: true });
		}
		let hasKey = false;
		if (m.requestType.fields.request_id !== undefined && !m.readOnly) {
			if (!msg.request_id) msg.request_id = randomHex(16);
			hasKey = true;
		}
		const payload = m.requestType.encode(msg).finish();
		const body = await this.callRaw(method, payload, { ...opts, retrySafe: m.readOnly || (hasKey && this.retryKeyedWrites) });
		let out;
		try {
			out = m.responseType.decode(body);
		} catch (e) {
			throw new OzError(Code.INTERNAL, `undecodable ${m.responseType.name}: ${e.message}`, { method, local: true });
		}
		return opts.raw ? out : m.responseType.toObject(out, this.toObjectOptions);
	}

	// Like call() with serialized bytes in and out. opts.retrySafe says
	// whether the call may be re-sent after it may have run (default: only
	// read-only methods).
	async callRaw(method, payload, opts = {}) {
		const deadline = Date.now() + (opts.timeout ?? this.timeout);
		const md = this.callMetadata(opts.metadata);
		const read = isReadOnly(method);
		const retrySafe = opts.retrySafe ?? read;
		for (let attempt = 1; ; attempt++) {
			try {
				return await this.attempt(method, payload, md, deadline);
			} catch (e) {
				if (!(e instanceof Attempt)) throw e;
				const err = e.error;
				if (!mayRetry(err.code, e.maybeRan, read, retrySafe) || attempt > this.retries) {
					throw err;
				}
				const pause = Math.min(1000, 50 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
				if (Date.now() + pause >= deadline) throw err;
				await sleep(pause);
			}
		}
	}

	callMetadata(extra) {
		const md = { ...this.metadata, ...(extra ?? {}) };
		if (!md["request-id"]) md["request-id"] = randomHex(16);
		if (this.token) md.authorization = `Bearer ${this.token}`;
		return md;
	}

	connection() {
		if (this.conn === null || this.conn.closed) {
			const url = this.urls[this.urlIndex % this.urls.length];
			this.conn = new Connection(url, this.WebSocket, this.wsOptions);
		}
		return this.conn;
	}

	async attempt(method, payload, md, deadline) {
		const left = deadline - Date.now();
		if (left <= 0) {
			throw new OzError(Code.DEADLINE_EXCEEDED, "deadline exceeded before the call was sent", { method, local: true });
		}
		const env = this.Request.encode(this.Request.create({
			method,
			payload,
			metadata: Object.entries(md).map(([key, value]) => ({ key, value: String(value) })),
			timeout_ms: Math.max(1, Math.floor(left)),
		})).finish();
		if (env.length + 4 > this.maxMessageBytes) {
			throw new OzError(Code.RESOURCE_EXHAUSTED,
				`request of ${env.length + 4} bytes is over the ${this.maxMessageBytes} byte message limit; not sent`,
				{ method, local: true });
		}
		const conn = this.connection();
		const id = (HIGH_BIT | (this.nextId++ & 0x7fffffff)) >>> 0;
		let timer;
		const expired = new Promise((resolve, reject) => {
			timer = setTimeout(() => reject(new OzError(Code.DEADLINE_EXCEEDED,
				"no reply within the deadline; the call may or may not have run", { method, local: true })),
				Math.max(0, deadline - Date.now()));
		});
		try {
			try {
				await Promise.race([conn.opened, expired]);
			} catch (e) {
				if (e instanceof OzError) throw e;
				this.urlIndex++;
				throw new Attempt(new OzError(Code.UNAVAILABLE, e.message, { method, local: true }), false);
			}
			this.attempts++;
			let body;
			try {
				body = await Promise.race([conn.request(id, env), expired]);
			} catch (e) {
				if (e instanceof OzError) {
					conn.forget(id);
					throw e;
				}
				const text = e.sent ? `${e.message}; the call may or may not have run` : e.message;
				throw new Attempt(new OzError(Code.UNAVAILABLE, text, { method, local: true }), e.sent !== false);
			}
			return this.decode(method, body);
		} finally {
			clearTimeout(timer);
		}
	}

	// The payload of an OK Response; throws Attempt for any other status. A
	// server-sent UNAVAILABLE means the call did not run.
	decode(method, body) {
		let resp;
		try {
			resp = this.Response.decode(body);
		} catch (e) {
			throw new OzError(Code.INTERNAL, `undecodable Response: ${e.message}`, { method, local: true });
		}
		const st = resp.status ?? {};
		const code = st.code ?? 0;
		if (code === Code.OK) return resp.payload ?? new Uint8Array(0);
		const err = new OzError(code, st.message ?? "", {
			method,
			fieldViolations: (st.details ?? []).map((d) => ({ field: d.field, description: d.description })),
		});
		throw new Attempt(err, code !== Code.UNAVAILABLE);
	}

	close() {
		this.conn?.close();
		this.conn = null;
	}
}
