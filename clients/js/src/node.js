// src/node.js -- the oz client for Node.js: the core of src/client.js with
// the `ws` package for WebSocket and proto/ loaded at run time by
// protobufjs's parser (no generated code to keep in step).
//
//   import { connect } from "@oz/client";
//   const oz = connect({ url: "ws://127.0.0.1:7880/rpc" });
//   const user = await oz.UserService.createUser({ username: "ann", email: "ann@example.com" });
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { Client } from "./client.js";
import { loadProtoRoot } from "./protos.js";

export { Client, Code, OzError, codeName, isReadOnly, mayRetry, describeMethods, SUBPROTOCOL } from "./client.js";
export { loadProtoRoot } from "./protos.js";

// proto/ of this checkout (clients/js/src -> ../../../proto).
export const PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "proto");

let defaultRoot = null;

// A Client over Node's `ws`; options as for Client, root defaults to proto/
// of this checkout (or options.protoDir).
export function connect(options = {}) {
	let root = options.root;
	if (!root) {
		if (options.protoDir) root = loadProtoRoot(options.protoDir);
		else root = defaultRoot ??= loadProtoRoot(PROTO_DIR);
	}
	return new Client({ WebSocket, ...options, root });
}
