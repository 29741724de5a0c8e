// console/app.js -- the oz web console: a single page over the JavaScript
// client (client.js) and ws://<this host>/rpc. Pages: users, a user with
// their tasks, tasks, live stats with charts drawn here in SVG, and a
// method explorer built from Reflection. No framework, nothing fetched from
// anywhere but the ozd that serves this file. Data from the server only
// ever reaches the page as text (textContent), never as HTML.
import { Client, Code, OzError } from "./client.js";

const M = {
	createUser: "/oz.v1.UserService/CreateUser",
	getUser: "/oz.v1.UserService/GetUser",
	listUsers: "/oz.v1.UserService/ListUsers",
	updateUser: "/oz.v1.UserService/UpdateUser",
	deleteUser: "/oz.v1.UserService/DeleteUser",
	createTask: "/oz.v1.TaskService/CreateTask",
	listTasks: "/oz.v1.TaskService/ListTasks",
	updateTask: "/oz.v1.TaskService/UpdateTask",
	deleteTask: "/oz.v1.TaskService/DeleteTask",
	stats: "/oz.v1.AdminService/Stats",
	health: "/grpc.health.v1.Health/Check",
	listServices: "/oz.rpc.v1.Reflection/ListServices",
};
const STATUSES = [
	["TASK_STATUS_PENDING", "Pending", "orange"],
	["TASK_STATUS_IN_PROGRESS", "In progress", "blue"],
	["TASK_STATUS_DONE", "Done", "green"],
];
const TOKEN_KEY = "oz.console.token";
const STATS_WINDOW_MS = 5 * 60 * 1000; // History kept and the widest chart.
const STATS_MIN_WINDOW_MS = 60 * 1000;
const COLORS = ["#3d5afe", "#f04438", "#12b76a", "#f79009", "#7a5af8", "#06aed4", "#ee46bc", "#667085"];

const view = document.getElementById("view");
const dialog = document.getElementById("dialog");
let client = null;
let leave = () => {}; // Stops what the current page runs (polling).
let tokenDeclined = false; // Cancelled: no more prompts until "Token" is clicked.

// --- DOM helpers -------------------------------------------------------------

function el(tag, attrs, ...kids) {
	const e = document.createElement(tag);
	setAttrs(e, attrs);
	for (const k of kids.flat(Infinity)) {
		if (k !== null && k !== undefined && k !== false) e.append(k instanceof Node ? k : String(k));
	}
	return e;
}

function setAttrs(e, attrs) {
	for (const [k, v] of Object.entries(attrs ?? {})) {
		if (v === undefined || v === null || v === false) continue;
		if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
		else if (k === "class") e.setAttribute("class", v);
		else e.setAttribute(k, v === true ? "" : String(v));
	}
}

function svgEl(tag, attrs, ...kids) {
	const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
	setAttrs(e, attrs);
	for (const k of kids) e.append(k instanceof Node ? k : String(k));
	return e;
}

let toastTimer = 0;
function toast(text, isError = false) {
	const t = document.getElementById("toast");
	t.textContent = text;
	t.className = isError ? "error" : "";
	t.hidden = false;
	clearTimeout(toastTimer);
	toastTimer = setTimeout(() => (t.hidden = true), 3500);
}

function fmtTime(ts) {
	if (!ts || !ts.seconds) return "";
	return new Date(ts.seconds * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function fmtBytes(n) {
	if (!Number.isFinite(n)) return "–";
	const units = ["B", "KiB", "MiB", "GiB", "TiB"];
	let i = 0;
	while (n >= 1024 && i < units.length - 1) {
		n /= 1024;
		i++;
	}
	return `${n < 10 && i > 0 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

function fmtNum(n, digits = 0) {
	if (!Number.isFinite(n)) return "–";
	return n.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function fmtAxis(v) {
	return fmtNum(v, v % 1 ? (v < 1 ? 2 : 1) : 0);
}

function fmtUs(us) {
	if (!Number.isFinite(us)) return "–";
	if (us < 1000) return `${Math.round(us)} µs`;
	return `${(us / 1000).toFixed(us < 10000 ? 2 : 1)} ms`;
}

function fmtDuration(s) {
	const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
	if (d) return `${d}d ${h}h`;
	if (h) return `${h}h ${m}m`;
	return `${m}m ${s % 60}s`;
}

function statusBadge(status) {
	const s = STATUSES.find((x) => x[0] === status);
	return el("span", { class: `badge ${s ? s[2] : "grey"}` }, s ? s[1] : status);
}

// --- Calls and the token -------------------------------------------------------

function loadToken() {
	return sessionStorage.getItem(TOKEN_KEY) ?? localStorage.getItem(TOKEN_KEY) ?? "";
}

// The token lives in sessionStorage; in localStorage only if asked.
function saveToken(token, remember) {
	sessionStorage.setItem(TOKEN_KEY, token);
	if (remember) localStorage.setItem(TOKEN_KEY, token);
	else localStorage.removeItem(TOKEN_KEY);
	client.token = token;
	document.getElementById("token-button").hidden = !token;
}

function setConn(ok, text) {
	document.getElementById("conn-dot").className = `dot ${ok ? "ok" : "bad"}`;
	document.getElementById("conn-text").textContent = text ?? (ok ? location.host : "disconnected");
}

// Calls method with req; asks for a token when the server wants one.
async function rpc(method, req = {}, opts = {}) {
	for (let tries = 0; ; tries++) {
		try {
			const out = await client.call(method, req, opts);
			setConn(true);
			return out;
		} catch (e) {
			if (e.code === Code.UNAUTHENTICATED) {
				document.getElementById("token-button").hidden = false;
				if (!tokenDeclined && tries < 3 && (await askToken(tries > 0))) continue;
			}
			if (e.local && e.code === Code.UNAVAILABLE) setConn(false);
			throw e;
		}
	}
}

// One prompt at a time; calls that fail meanwhile wait for the same answer.
let tokenPrompt = null;
function askToken(wrong) {
	tokenPrompt ??= promptToken(wrong).finally(() => (tokenPrompt = null));
	return tokenPrompt;
}

function promptToken(wrong) {
	return new Promise((resolve) => {
		const input = el("input", { type: "password", name: "token", autocomplete: "off", required: true });
		const remember = el("input", { type: "checkbox", name: "remember" });
		const form = el("form", { class: "form", method: "dialog" },
			el("h2", {}, "Token required"),
			el("p", { class: "muted" }, "This ozd runs with --auth-token-file. The token is kept for this browser tab only, unless you tick “remember”."),
			wrong ? el("div", { class: "form-error" }, "That token was not accepted.") : null,
			el("div", { class: "field" }, el("label", {}, "Bearer token"), input),
			el("label", { class: "field check" }, remember, "Remember on this computer"),
			el("div", { class: "form-actions" },
				el("button", { type: "button", onclick: () => done(false) }, "Cancel"),
				el("button", { type: "submit", class: "primary" }, "Use token")));
		const done = (ok) => {
			tokenDeclined = !ok;
			dialog.close();
			resolve(ok);
		};
		form.addEventListener("submit", (ev) => {
			ev.preventDefault();
			saveToken(input.value.trim(), remember.checked);
			done(true);
		});
		openDialog(form);
		input.focus();
	});
}

function openDialog(content) {
	if (dialog.open) dialog.close();
	dialog.replaceChildren(content);
	dialog.showModal();
}

// --- Forms ---------------------------------------------------------------------

// A form in the dialog. fields: [{name, label, type, value, options,
// required}]. onSubmit(values) may throw an OzError: each field violation is
// shown beside its field, anything else above the buttons. Resolves with
// onSubmit's result, or null when cancelled.
function formDialog({ title, fields, submitLabel = "Save", danger = false, onSubmit }) {
	return new Promise((resolve) => {
		const inputs = {};
		const errors = {};
		const general = el("div", { class: "form-error", hidden: true });
		const rows = fields.map((f) => {
			let input;
			if (f.type === "select") {
				input = el("select", { name: f.name }, f.options.map(([v, label]) => el("option", { value: v, selected: v === f.value }, label)));
			} else if (f.type === "textarea") {
				input = el("textarea", { name: f.name, rows: 3 });
				input.value = f.value ?? "";
			} else if (f.type === "checkbox") {
				input = el("input", { type: "checkbox", name: f.name, checked: !!f.value });
			} else {
				input = el("input", { type: f.type ?? "text", name: f.name, value: f.value ?? "", required: f.required, autocomplete: "off" });
			}
			inputs[f.name] = input;
			errors[f.name] = el("div", { class: "field-error", "data-for": f.name });
			if (f.type === "checkbox") {
				return el("div", { class: "field", "data-field": f.name },
					el("label", { class: "field check" }, input, f.label), errors[f.name]);
			}
			return el("div", { class: "field", "data-field": f.name }, el("label", { for: `f-${f.name}` }, f.label), input, errors[f.name]);
		});
		for (const f of fields) inputs[f.name].id = `f-${f.name}`;
		const submit = el("button", { type: "submit", class: danger ? "danger solid" : "primary" }, submitLabel);
		const form = el("form", { class: "form", novalidate: true },
			el("h2", {}, title), rows, general,
			el("div", { class: "form-actions" },
				el("button", { type: "button", onclick: () => close(null) }, "Cancel"), submit));
		const close = (result) => {
			dialog.close();
			resolve(result);
		};
		form.addEventListener("submit", async (ev) => {
			ev.preventDefault();
			for (const f of fields) {
				errors[f.name].textContent = "";
				errors[f.name].parentElement.classList.remove("invalid");
			}
			general.hidden = true;
			const values = {};
			for (const f of fields) values[f.name] = f.type === "checkbox" ? inputs[f.name].checked : inputs[f.name].value;
			submit.disabled = true;
			try {
				close(await onSubmit(values));
			} catch (e) {
				showErrors(e, errors, general);
			} finally {
				submit.disabled = false;
			}
		});
		openDialog(form);
		Object.values(inputs)[0]?.focus();
	});
}

// Which field an ALREADY_EXISTS message is about ("Email already
// registered", "Username already taken").
function guessField(e, errors) {
	for (const name of Object.keys(errors)) {
		if (e.message.toLowerCase().includes(name.replace(/_id$/, "").toLowerCase())) return name;
	}
	return null;
}

function showErrors(e, errors, general) {
	if (!(e instanceof OzError)) {
		general.textContent = String(e.message ?? e);
		general.hidden = false;
		return;
	}
	const rest = [];
	const mark = (name, text) => {
		errors[name].textContent = text;
		errors[name].parentElement.classList.add("invalid");
	};
	for (const v of e.fieldViolations) {
		const name = v.field.split(".").pop();
		if (errors[name]) mark(name, v.description);
		else rest.push(`${v.field}: ${v.description}`);
	}
	if (e.fieldViolations.length === 0) {
		const name = e.code === Code.ALREADY_EXISTS || e.code === Code.NOT_FOUND ? guessField(e, errors) : null;
		if (name) mark(name, e.message);
		else rest.push(`${e.codeName}: ${e.message}`);
	}
	if (rest.length) {
		general.textContent = rest.join("; ");
		general.hidden = false;
	}
}

// Fields of the update mask: those whose value differs from the resource.
function changed(resource, values) {
	return Object.keys(values).filter((k) => values[k] !== resource[k]);
}

// --- A paged, sortable, filterable table ---------------------------------------

// columns: [{label, key?, sort?, render(item), class?}]. fetch({page_size,
// page_token, order_by, ...filters}) resolves {items, next, total}.
// filters: [{name, label, type, options?}] shown in the toolbar.
function listView({ id, columns, fetch, filters = [], defaultOrder = "id", rowClick, actions, empty = "Nothing here yet." }) {
	const st = { size: 25, order: defaultOrder, desc: false, tokens: [""], page: 0, filters: {} };
	const tbody = el("tbody");
	const headRow = el("tr");
	const pagerText = el("span", { class: "pager-text" });
	const prev = el("button", { class: "small", "data-action": "prev", onclick: () => go(st.page - 1) }, "‹ Previous");
	const next = el("button", { class: "small", "data-action": "next", onclick: () => go(st.page + 1) }, "Next ›");
	const sizeSel = el("select", { "aria-label": "page size", onchange: () => { st.size = +sizeSel.value; reset(); } },
		[10, 25, 50, 100].map((n) => el("option", { value: n, selected: n === st.size }, `${n} / page`)));
	const toolbar = el("div", { class: "toolbar" });
	for (const f of filters) {
		const input = f.type === "select"
			? el("select", { name: f.name }, f.options.map(([v, l]) => el("option", { value: v }, l)))
			: el("input", { name: f.name, type: f.type ?? "text", placeholder: f.placeholder ?? "", size: 8 });
		input.addEventListener("change", () => {
			st.filters[f.name] = input.value;
			reset();
		});
		toolbar.append(el("label", {}, f.label, input));
	}
	const render = () => {
		headRow.replaceChildren(...columns.map((c) => {
			const sorted = c.sort && st.order === c.sort;
			const th = el("th", { class: [c.sort ? "sortable" : "", c.class ?? ""].join(" "), "data-sort": c.sort },
				c.label, sorted ? el("span", { class: "arrow" }, st.desc ? "▼" : "▲") : null);
			if (c.sort) {
				th.addEventListener("click", () => {
					st.desc = st.order === c.sort ? !st.desc : false;
					st.order = c.sort;
					reset();
				});
			}
			return th;
		}), actions ? el("th", { class: "actions" }) : null);
	};
	const go = (page) => {
		if (page < 0 || st.tokens[page] === undefined) return;
		st.page = page;
		load();
	};
	const reset = () => {
		st.tokens = [""];
		st.page = 0;
		load();
	};
	async function load() {
		render();
		const req = { page_size: st.size, page_token: st.tokens[st.page], order_by: st.order + (st.desc ? " desc" : "") };
		let res;
		try {
			res = await fetch(req, st.filters);
		} catch (e) {
			tbody.replaceChildren(el("tr", {}, el("td", { class: "empty", colspan: columns.length + 1 }, `${e.codeName ?? "Error"}: ${e.message}`)));
			return;
		}
		st.tokens.length = st.page + 1;
		if (res.next) st.tokens.push(res.next);
		const rows = res.items.map((item) => {
			const tr = el("tr", { "data-id": item.id, class: rowClick ? "clickable" : "" },
				columns.map((c) => el("td", { class: c.class ?? "" }, c.render ? c.render(item) : item[c.key])),
				actions ? el("td", { class: "actions" }, actions(item)) : null);
			if (rowClick) {
				tr.addEventListener("click", (ev) => {
					if (!ev.target.closest("button, a")) rowClick(item);
				});
			}
			return tr;
		});
		if (rows.length === 0) rows.push(el("tr", {}, el("td", { class: "empty", colspan: columns.length + 1 }, empty)));
		tbody.replaceChildren(...rows);
		const from = res.items.length ? st.page * st.size + 1 : 0;
		pagerText.textContent = `${fmtNum(from)}–${fmtNum(st.page * st.size + res.items.length)} of ${fmtNum(res.total)} · page ${st.page + 1} of ${Math.max(1, Math.ceil(res.total / st.size))}`;
		prev.disabled = st.page === 0;
		next.disabled = !res.next;
	}
	const root = el("div", { class: "card flush", id },
		filters.length ? toolbar : null,
		el("div", { class: "table-wrap" }, el("table", {}, el("thead", {}, headRow), tbody)),
		el("div", { class: "pager" }, pagerText, el("span", { class: "spacer" }), sizeSel, prev, next));
	load();
	return { el: root, reload: load };
}

// --- Users -----------------------------------------------------------------------

const userFields = (u = {}) => [
	{ name: "username", label: "Username", value: u.username, required: true },
	{ name: "email", label: "Email", type: "email", value: u.email, required: true },
];

function createUser(onDone) {
	formDialog({
		title: "New user",
		fields: userFields(),
		submitLabel: "Create user",
		onSubmit: (v) => rpc(M.createUser, v),
	}).then((u) => {
		if (u) {
			toast(`User ${u.username} created`);
			onDone(u);
		}
	});
}

function editUser(u, onDone) {
	formDialog({
		title: `Edit ${u.username}`,
		fields: [...userFields(u), { name: "is_active", label: "Active", type: "checkbox", value: u.is_active }],
		onSubmit: (v) => {
			const paths = changed(u, v);
			if (paths.length === 0) return u;
			return rpc(M.updateUser, { user: { id: u.id, etag: u.etag, ...v }, update_mask: { paths } });
		},
	}).then((x) => x && (toast(`User ${x.username} saved`), onDone(x)));
}

function deleteUser(u, onDone) {
	formDialog({
		title: `Delete ${u.username}?`,
		fields: [{ name: "force", label: "Also delete their tasks", type: "checkbox", value: false }],
		submitLabel: "Delete user",
		danger: true,
		onSubmit: (v) => rpc(M.deleteUser, { id: u.id, force: v.force, etag: u.etag }).then(() => true),
	}).then((x) => x && (toast(`User ${u.username} deleted`), onDone()));
}

function usersPage() {
	const list = listView({
		id: "users-table",
		defaultOrder: "id",
		filters: [{ name: "active", label: "Status", type: "select", options: [["", "All users"], ["true", "Active"], ["false", "Inactive"]] }],
		columns: [
			{ label: "ID", sort: "id", key: "id", class: "num" },
			{ label: "Username", sort: "username", render: (u) => el("a", { href: `#/users/${u.id}` }, u.username) },
			{ label: "Email", sort: "email", key: "email" },
			{ label: "Status", render: (u) => el("span", { class: `badge ${u.is_active ? "green" : "grey"}` }, u.is_active ? "Active" : "Inactive") },
			{ label: "Created", sort: "create_time", render: (u) => fmtTime(u.create_time), class: "hide-narrow" },
		],
		fetch: async (req, f) => {
			const r = await rpc(M.listUsers, { ...req, is_active: f.active ? { value: f.active === "true" } : undefined });
			return { items: r.users, next: r.next_page_token, total: r.total_size };
		},
		rowClick: (u) => (location.hash = `#/users/${u.id}`),
		actions: (u) => [
			el("button", { class: "small", "data-action": "edit", onclick: () => editUser(u, list.reload) }, "Edit"),
			el("button", { class: "small danger", "data-action": "delete", onclick: () => deleteUser(u, list.reload) }, "Delete"),
		],
		empty: "No users yet. Create the first one.",
	});
	view.replaceChildren(
		el("div", { class: "page-head" }, el("h1", {}, "Users"), el("span", { class: "spacer" }),
			el("button", { class: "primary", id: "new-user", onclick: () => createUser(list.reload) }, "+ New user")),
		list.el);
}

async function userPage(id) {
	let u;
	try {
		u = await rpc(M.getUser, { id });
	} catch (e) {
		view.replaceChildren(el("div", { class: "card" }, `${e.codeName}: ${e.message}`));
		return;
	}
	const tasks = taskList({ userId: id, id: "user-tasks" });
	view.replaceChildren(
		el("div", { class: "crumb" }, el("a", { href: "#/users" }, "Users"), " / ", u.username),
		el("div", { class: "page-head" }, el("h1", {}, u.username),
			el("span", { class: `badge ${u.is_active ? "green" : "grey"}` }, u.is_active ? "Active" : "Inactive"),
			el("span", { class: "spacer" }),
			el("button", { onclick: () => editUser(u, () => userPage(id)) }, "Edit"),
			el("button", { class: "danger", onclick: () => deleteUser(u, () => (location.hash = "#/users")) }, "Delete")),
		el("div", { class: "card" }, el("dl", { class: "kv" },
			el("dt", {}, "ID"), el("dd", {}, u.id),
			el("dt", {}, "Email"), el("dd", {}, u.email),
			el("dt", {}, "Created"), el("dd", {}, fmtTime(u.create_time)),
			el("dt", {}, "Updated"), el("dd", {}, fmtTime(u.update_time)),
			el("dt", {}, "Etag"), el("dd", { class: "muted" }, u.etag))),
		el("div", { class: "page-head" }, el("h2", {}, "Tasks"), el("span", { class: "spacer" }),
			el("button", { class: "primary", id: "new-task", onclick: () => createTask(id, tasks.reload) }, "+ New task")),
		tasks.el);
}

// --- Tasks -----------------------------------------------------------------------

const statusOptions = STATUSES.map(([v, l]) => [v, l]);

function createTask(userId, onDone) {
	formDialog({
		title: "New task",
		fields: [
			...(userId ? [] : [{ name: "user_id", label: "User ID", type: "number", required: true }]),
			{ name: "title", label: "Title", required: true },
			{ name: "description", label: "Description", type: "textarea" },
			{ name: "status", label: "Status", type: "select", value: "TASK_STATUS_PENDING", options: statusOptions },
		],
		submitLabel: "Create task",
		onSubmit: (v) => rpc(M.createTask, { ...v, user_id: userId ?? (v.user_id === "" ? 0 : Number(v.user_id)) }),
	}).then((t) => t && (toast(`Task ${t.id} created`), onDone()));
}

function editTask(t, onDone) {
	formDialog({
		title: `Edit task ${t.id}`,
		fields: [
			{ name: "title", label: "Title", value: t.title, required: true },
			{ name: "description", label: "Description", type: "textarea", value: t.description },
			{ name: "status", label: "Status", type: "select", value: t.status, options: statusOptions },
		],
		onSubmit: (v) => {
			const paths = changed(t, v);
			if (paths.length === 0) return t;
			return rpc(M.updateTask, { task: { id: t.id, etag: t.etag, ...v }, update_mask: { paths } });
		},
	}).then((x) => x && (toast(`Task ${x.id} saved`), onDone()));
}

function deleteTask(t, onDone) {
	formDialog({
		title: `Delete task ${t.id}?`,
		fields: [],
		submitLabel: "Delete task",
		danger: true,
		onSubmit: () => rpc(M.deleteTask, { id: t.id, etag: t.etag }).then(() => true),
	}).then((x) => x && (toast(`Task ${t.id} deleted`), onDone()));
}

function taskList({ userId, id }) {
	const filters = [{ name: "status", label: "Status", type: "select", options: [["", "Any status"], ...statusOptions] }];
	if (!userId) filters.push({ name: "user", label: "User ID", type: "number", placeholder: "any" });
	const columns = [
		{ label: "ID", sort: "id", key: "id", class: "num" },
		{ label: "Title", sort: "title", key: "title", class: "wrap" },
		...(userId ? [] : [{ label: "User", render: (t) => el("a", { href: `#/users/${t.user_id}` }, `#${t.user_id}`) }]),
		{ label: "Status", sort: "status", render: (t) => statusBadge(t.status) },
		{ label: "Updated", sort: "update_time", render: (t) => fmtTime(t.update_time), class: "hide-narrow" },
	];
	const list = listView({
		id,
		columns,
		filters,
		fetch: async (req, f) => {
			const uid = userId ?? (f.user ? Number(f.user) : null);
			const r = await rpc(M.listTasks, { ...req, status: f.status || undefined, user_id: uid ? { value: uid } : undefined });
			return { items: r.tasks, next: r.next_page_token, total: r.total_size };
		},
		actions: (t) => [
			el("button", { class: "small", "data-action": "edit", onclick: () => editTask(t, list.reload) }, "Edit"),
			el("button", { class: "small danger", "data-action": "delete", onclick: () => deleteTask(t, list.reload) }, "Delete"),
		],
		empty: "No tasks.",
	});
	return list;
}

function tasksPage() {
	const list = taskList({ id: "tasks-table" });
	view.replaceChildren(
		el("div", { class: "page-head" }, el("h1", {}, "Tasks"), el("span", { class: "spacer" }),
			el("button", { class: "primary", id: "new-task", onclick: () => createTask(null, list.reload) }, "+ New task")),
		list.el);
}

// --- Live stats --------------------------------------------------------------------

const history = []; // Samples {t, calls, errors: {code: n}, p50, p99, db, wal}.

function sample(r) {
	const errors = {};
	for (const e of r.errors) errors[e.code] = e.count;
	let weighted = 0, calls = 0, p99 = 0;
	for (const m of r.methods) {
		if (m.calls <= 0) continue;
		weighted += m.p50_us * m.calls;
		calls += m.calls;
		p99 = Math.max(p99, m.p99_us);
	}
	return { t: Date.now(), calls: r.calls_total, errors, p50: calls ? weighted / calls : 0, p99, db: r.database_size_bytes, wal: r.wal_size_bytes };
}

// Per-second rates between consecutive samples: [{t, v}] per key.
function rates(key) {
	const out = [];
	for (let i = 1; i < history.length; i++) {
		const a = history[i - 1], b = history[i];
		const dt = (b.t - a.t) / 1000;
		if (dt <= 0 || b.calls < a.calls) continue; // A restarted server.
		out.push({ t: b.t, v: (key(b) - key(a)) / dt });
	}
	return out;
}

function niceMax(v) {
	if (v <= 0) return 1;
	const p = 10 ** Math.floor(Math.log10(v));
	for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
	return 10 * p;
}

// The time the charts span: the history seen, from one to five minutes.
function chartWindow() {
	const seen = history.length ? Date.now() - history[0].t : 0;
	return Math.min(STATS_WINDOW_MS, Math.max(STATS_MIN_WINDOW_MS, Math.ceil(seen / 60000) * 60000));
}

// Draws series [{name, color, points: [{t, v}]}] into svg, as lines or
// stacked bars, over the last chartWindow().
function drawChart(svg, series, { fmt = (v) => fmtNum(v), bars = false } = {}) {
	// Drawn at the element's own width (redrawn every second), so the text
	// is never stretched.
	const W = Math.max(280, Math.round(svg.getBoundingClientRect().width) || 640);
	const H = 190, L = 56, R = 8, T = 10, B = 22;
	const span = chartWindow();
	const now = Date.now(), t0 = now - span;
	const x = (t) => L + ((t - t0) / span) * (W - L - R);
	let max = 0;
	if (bars) {
		const sums = new Map();
		for (const s of series) for (const p of s.points) sums.set(p.t, (sums.get(p.t) ?? 0) + p.v);
		max = Math.max(0, ...sums.values());
	} else {
		for (const s of series) for (const p of s.points) max = Math.max(max, p.v);
	}
	const top = niceMax(max);
	const y = (v) => H - B - (v / top) * (H - B - T);
	const kids = [];
	for (let i = 0; i <= 4; i++) {
		const v = (top * i) / 4;
		kids.push(svgEl("line", { class: "grid", x1: L, x2: W - R, y1: y(v), y2: y(v) }));
		kids.push(svgEl("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, fmt(v)));
	}
	const ticks = 4;
	for (let i = ticks; i >= 0; i--) {
		const ago = (span * i) / ticks / 1000;
		const label = i === 0 ? "now" : ago >= 60 && ago % 60 === 0 ? `−${ago / 60} min` : `−${Math.round(ago)} s`;
		kids.push(svgEl("text", { x: x(now - ago * 1000), y: H - 6, "text-anchor": i === ticks ? "start" : i === 0 ? "end" : "middle" }, label));
	}
	if (bars) {
		const base = new Map();
		const w = Math.max(1.5, ((W - L - R) / (span / 1000)) * 0.8);
		for (const s of series) {
			for (const p of s.points) {
				if (p.t < t0 || p.v <= 0) continue;
				const b = base.get(p.t) ?? 0;
				kids.push(svgEl("rect", { x: x(p.t) - w, y: y(b + p.v), width: w, height: y(b) - y(b + p.v), fill: s.color }));
				base.set(p.t, b + p.v);
			}
		}
	} else {
		series.forEach((s, i) => {
			const pts = s.points.filter((p) => p.t >= t0);
			if (pts.length === 0) return;
			const d = pts.map((p, j) => `${j ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join("");
			if (i === 0) {
				kids.push(svgEl("path", { d: `${d}L${x(pts[pts.length - 1].t).toFixed(1)},${y(0)}L${x(pts[0].t).toFixed(1)},${y(0)}Z`, fill: s.color, "fill-opacity": 0.1 }));
			}
			kids.push(svgEl("path", { d, fill: "none", stroke: s.color, "stroke-width": 2, "stroke-linejoin": "round", class: "series" }));
		});
	}
	svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
	svg.replaceChildren(...kids);
	const all = series.flatMap((s) => s.points.filter((p) => p.t >= t0));
	svg.dataset.points = all.length;
	svg.dataset.max = max;
	svg.dataset.sum = all.reduce((a, p) => a + p.v, 0);
}

function chartCard(id, title, note) {
	const svg = svgEl("svg", { class: "chart", id, role: "img", "aria-label": title });
	const legend = el("div", { class: "legend" });
	const card = el("div", { class: "card chart-card" }, el("h2", {}, title, el("small", {}, note)), svg, legend);
	return { card, svg, legend };
}

function setLegend(legend, series, fmtLast) {
	legend.replaceChildren(...series.map((s) => {
		const last = s.points[s.points.length - 1];
		const swatch = el("i");
		swatch.style.background = s.color; // CSSOM: the CSP allows no style attributes.
		return el("span", {}, swatch, s.name, last && fmtLast ? ` ${fmtLast(last.v)}` : "");
	}));
}

function statsPage() {
	const cards = {};
	const card = (key, label) => (cards[key] = el("div", { class: "value", id: `stat-${key}` }, "–"), el("div", { class: "stat" }, el("div", { class: "label" }, label), cards[key]));
	const callsC = chartCard("chart-calls", "Calls per second", "every call, any status");
	const latC = chartCard("chart-latency", "Latency", "p50 (all methods) and p99 (slowest method), since start");
	const errC = chartCard("chart-errors", "Errors by code", "per second");
	const sizeC = chartCard("chart-size", "Database and WAL size", "bytes on disk");
	const methods = el("tbody");
	view.replaceChildren(
		el("div", { class: "page-head" }, el("h1", {}, "Live stats"), el("span", { class: "spacer" }),
			el("span", { class: "muted", id: "stats-updated" }, "AdminService/Stats every second")),
		el("div", { class: "grid" }, card("rate", "Calls / s"), card("inflight", "In flight"), card("total", "Calls total"),
			card("uptime", "Uptime"), card("db", "Database"), card("wal", "WAL"), card("cache", "Cache hits")),
		el("div", { class: "charts" }, callsC.card, latC.card, errC.card, sizeC.card),
		el("div", { class: "card flush" }, el("div", { class: "table-wrap" }, el("table", { id: "methods-table" },
			el("thead", {}, el("tr", {}, ["Method", "Calls", "Errors", "p50", "p90", "p99", "Max"].map((h, i) => el("th", { class: i ? "num" : "" }, h)))),
			methods))));
	let stopped = false;
	let timer = 0;
	const tick = async () => {
		let r;
		try {
			r = await rpc(M.stats, {});
		} catch (e) {
			document.getElementById("stats-updated").textContent = `${e.codeName}: ${e.message}`;
		}
		if (stopped) return;
		if (r) {
			history.push(sample(r));
			while (history.length && history[0].t < Date.now() - STATS_WINDOW_MS - 5000) history.shift();
			render(r);
		}
		timer = setTimeout(tick, 1000);
	};
	const render = (r) => {
		const callRates = rates((s) => s.calls);
		const last = callRates[callRates.length - 1];
		cards.rate.textContent = last ? fmtNum(last.v, 1) : "–";
		cards.inflight.textContent = fmtNum(r.in_flight);
		cards.total.textContent = fmtNum(r.calls_total);
		cards.uptime.textContent = fmtDuration(r.uptime_s);
		cards.db.textContent = fmtBytes(r.database_size_bytes);
		cards.wal.textContent = fmtBytes(r.wal_size_bytes);
		cards.cache.textContent = r.cache_hits + r.cache_misses ? `${fmtNum(r.cache_hit_ratio * 100, 1)} %` : "–";
		const calls = [{ name: "calls/s", color: COLORS[0], points: callRates }];
		drawChart(callsC.svg, calls, { fmt: fmtAxis });
		const first = history.find((x) => x.t >= Date.now() - chartWindow()) ?? history[0];
		callsC.svg.dataset.calls = history[history.length - 1].calls - first.calls; // Calls in the chart.
		setLegend(callsC.legend, calls, (v) => fmtNum(v, 1));
		const lat = [
			{ name: "p50", color: COLORS[0], points: history.map((s) => ({ t: s.t, v: s.p50 })) },
			{ name: "p99", color: COLORS[1], points: history.map((s) => ({ t: s.t, v: s.p99 })) },
		];
		drawChart(latC.svg, lat, { fmt: fmtUs });
		setLegend(latC.legend, lat, fmtUs);
		const codes = [...new Set(history.flatMap((s) => Object.keys(s.errors)))].sort();
		const errs = codes.map((c, i) => ({ name: c, color: COLORS[(i + 1) % COLORS.length], points: rates((s) => s.errors[c] ?? 0) }))
			.filter((x) => x.points.some((p) => p.v > 0));
		drawChart(errC.svg, errs, { bars: true, fmt: fmtAxis });
		if (errs.length) setLegend(errC.legend, errs, null);
		else errC.legend.replaceChildren(el("span", {}, "No errors in this window"));
		const sizes = [
			{ name: "database", color: COLORS[0], points: history.map((s) => ({ t: s.t, v: s.db })) },
			{ name: "WAL", color: COLORS[3], points: history.map((s) => ({ t: s.t, v: s.wal })) },
		];
		drawChart(sizeC.svg, sizes, { fmt: fmtBytes });
		setLegend(sizeC.legend, sizes, fmtBytes);
		methods.replaceChildren(...r.methods.filter((m) => m.calls > 0).map((m) => el("tr", {},
			el("td", {}, m.method), el("td", { class: "num" }, fmtNum(m.calls)),
			el("td", { class: "num" }, fmtNum(m.errors.reduce((a, e) => a + e.count, 0))),
			el("td", { class: "num" }, fmtUs(m.p50_us)), el("td", { class: "num" }, fmtUs(m.p90_us)),
			el("td", { class: "num" }, fmtUs(m.p99_us)), el("td", { class: "num" }, fmtUs(m.max_us)))));
		document.getElementById("stats-updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
	};
	tick();
	leave = () => {
		stopped = true;
		clearTimeout(timer);
	};
}

// --- Method explorer -----------------------------------------------------------------

async function explorerPage() {
	let services;
	try {
		services = (await rpc(M.listServices, {})).services;
	} catch (e) {
		view.replaceChildren(el("div", { class: "card" }, `${e.codeName}: ${e.message}`));
		return;
	}
	const list = el("div", { class: "card methods", id: "method-list" });
	const pane = el("div", { class: "card", id: "method-pane" }, el("p", { class: "muted" }, "Pick a method on the left."));
	for (const s of services) {
		list.append(el("h3", {}, s.name));
		for (const m of s.methods) {
			const b = el("button", { "data-method": m.full_name }, el("span", {}, m.name),
				m.idempotent ? el("span", { class: "badge green" }, "read") : el("span", { class: "badge orange" }, "write"));
			b.addEventListener("click", () => {
				for (const x of list.querySelectorAll("button")) x.classList.toggle("active", x === b);
				showMethod(pane, m);
			});
			list.append(b);
		}
	}
	view.replaceChildren(el("div", { class: "page-head" }, el("h1", {}, "Method explorer"),
		el("span", { class: "muted" }, "from oz.rpc.v1.Reflection/ListServices")), el("div", { class: "explorer" }, list, pane));
}

function showMethod(pane, m) {
	const info = client.byName.get(m.full_name);
	const template = info ? info.requestType.toObject(info.requestType.create({}), { defaults: true, enums: String, longs: Number }) : {};
	const editor = el("textarea", { id: "request-json", rows: 12, spellcheck: "false" });
	editor.value = JSON.stringify(template, null, 2);
	const out = el("div", { id: "call-result" });
	const callBtn = el("button", { class: "primary", id: "call-button" }, "Call");
	callBtn.addEventListener("click", async () => {
		let req;
		try {
			req = JSON.parse(editor.value || "{}");
		} catch (e) {
			out.replaceChildren(el("div", { class: "form-error" }, `Not JSON: ${e.message}`));
			return;
		}
		callBtn.disabled = true;
		const t0 = performance.now();
		try {
			const r = await rpc(m.full_name, req);
			out.replaceChildren(statusLine("OK", "green", performance.now() - t0, ""), el("pre", { class: "out", id: "payload" }, JSON.stringify(r, null, 2)));
		} catch (e) {
			out.replaceChildren(statusLine(e.codeName ?? "ERROR", "red", performance.now() - t0, e.message),
				e.fieldViolations?.length
					? el("table", { id: "details" }, el("thead", {}, el("tr", {}, el("th", {}, "Field"), el("th", {}, "Violation"))),
						el("tbody", {}, e.fieldViolations.map((v) => el("tr", {}, el("td", {}, v.field), el("td", { class: "wrap" }, v.description)))))
					: null);
		} finally {
			callBtn.disabled = false;
		}
	});
	pane.replaceChildren(...[
		el("h2", {}, m.full_name),
		el("p", { class: "muted" }, `${m.input_type} → ${m.output_type}`, m.idempotent ? " · read-only, retried on UNAVAILABLE" : " · write"),
		info ? null : el("div", { class: "form-error" }, "This method is not in the console's protos."),
		editor,
		el("div", { class: "status-line" }, callBtn, el("span", { class: "muted" }, "JSON with the proto's field names; enums by name.")),
		out].filter(Boolean));
}

function statusLine(code, color, ms, message) {
	return el("div", { class: "status-line", id: "call-status" }, el("span", { class: `badge ${color}` }, code),
		el("span", { class: "muted" }, `${ms.toFixed(1)} ms`), message ? el("span", {}, message) : null);
}

// --- Routing and start ---------------------------------------------------------------

const routes = [
	[/^#\/users\/(\d+)$/, (m) => userPage(Number(m[1])), "users"],
	[/^#\/users/, usersPage, "users"],
	[/^#\/tasks/, tasksPage, "tasks"],
	[/^#\/stats/, statsPage, "stats"],
	[/^#\/explorer/, explorerPage, "explorer"],
];

function route() {
	leave();
	leave = () => {};
	if (dialog.open) dialog.close();
	const hash = location.hash || "#/users";
	for (const [re, page, nav] of routes) {
		const m = hash.match(re);
		if (m) {
			for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.route === nav);
			page(m);
			return;
		}
	}
	location.hash = "#/users";
}

async function start() {
	const json = await (await fetch("oz.json")).json();
	const root = globalThis.protobuf.Root.fromJSON(json);
	const scheme = location.protocol === "https:" ? "wss" : "ws";
	client = new Client({ url: `${scheme}://${location.host}/rpc`, root, token: loadToken(), timeout: 10000 });
	document.getElementById("token-button").hidden = !client.token;
	document.getElementById("token-button").addEventListener("click", () => askToken(false).then((ok) => ok && route()));
	window.oz = client; // For the browser's console and the tests.
	rpc(M.health, {}).catch((e) => setConn(false, e.message));
	window.addEventListener("hashchange", route);
	route();
}

start().catch((e) => {
	view.replaceChildren(el("div", { class: "card form-error" }, `The console could not start: ${e.message}`));
});
