// src/protos.js -- loads proto/ (every .proto file under a directory) into
// a protobufjs Root, in Node. google/protobuf/* imports resolve to
// protobufjs's bundled well-known types.
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import protobuf from "protobufjs";

function listProtos(dir, base = dir) {
	const out = [];
	for (const name of readdirSync(dir).sort()) {
		const p = join(dir, name);
		if (statSync(p).isDirectory()) out.push(...listProtos(p, base));
		else if (name.endsWith(".proto")) out.push(relative(base, p));
	}
	return out;
}

export function loadProtoRoot(dir) {
	const root = new protobuf.Root();
	root.resolvePath = (origin, target) => {
		if (target.startsWith("google/protobuf/")) return target;
		return join(dir, target.startsWith(dir) ? relative(dir, target) : target);
	};
	root.loadSync(listProtos(dir), { keepCase: true });
	root.resolveAll();
	return root;
}
