// tools/bundle-proto.mjs -- parses every .proto under PROTO_DIR with
// protobufjs's own parser and prints the Root as JSON (Root.toJSON), for
// the browser console, which loads it with protobuf.Root.fromJSON.
// Usage: node tools/bundle-proto.mjs PROTO_DIR > oz.json
import { loadProtoRoot } from "../src/protos.js";

const dir = process.argv[2];
if (!dir) {
	console.error("usage: node tools/bundle-proto.mjs PROTO_DIR");
	process.exit(2);
}
process.stdout.write(JSON.stringify(loadProtoRoot(dir).toJSON()) + "\n");
